// JsonObjectWriter writes the bytes the whole document's compact dump gives: members in order,
// arrays (empty ones too) element by element, non-UTF-8 strings as U+FFFD.
#include "etcdsnap/cli/json_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace etcdsnap::cli {
namespace {

std::string Written(const std::function<void(JsonObjectWriter&)>& fill, bool* ok = nullptr) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  JsonObjectWriter w(f);
  fill(w);
  const bool finished = w.Finish();
  if (ok != nullptr) *ok = finished;
  std::fclose(f);
  std::string out(buf, size);
  std::free(buf);
  return out;
}

TEST(JsonObjectWriterTest, SameBytesAsTheWholeDocument) {
  using J = nlohmann::ordered_json;
  const J whole = {{"path", "a\xff.db"},
                   {"n", 3},
                   {"rows", J::array({J{{"k", "x"}, {"v", 1}}, J{{"k", "y"}, {"v", 2}}})},
                   {"none", J::array()},
                   {"last", {{"nested", true}}}};
  bool ok = false;
  const std::string streamed = Written(
      [&](JsonObjectWriter& w) {
        w.Member("path", "a\xff.db");
        w.Member("n", 3);
        w.Array("rows", 2, [](size_t i) {
          return J{{"k", std::string(1, static_cast<char>('x' + i))}, {"v", i + 1}};
        });
        w.Array("none", 0, [](size_t) { return J(); });
        w.Member("last", {{"nested", true}});
      },
      &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(streamed, whole.dump(-1, ' ', false, J::error_handler_t::replace) + "\n");
  EXPECT_NE(streamed.find("a\xef\xbf\xbd.db"), std::string::npos);
  EXPECT_EQ(Written([](JsonObjectWriter&) {}), "{}\n");
}

}  // namespace
}  // namespace etcdsnap::cli
