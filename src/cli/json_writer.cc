#include "etcdsnap/cli/json_writer.h"

#include <string>

namespace etcdsnap::cli {

void JsonObjectWriter::Raw(std::string_view s) { std::fwrite(s.data(), 1, s.size(), out_); }

void JsonObjectWriter::Put(const Json& j) {
  Raw(j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

void JsonObjectWriter::Name(std::string_view name) {
  Raw(first_ ? "{" : ",");
  first_ = false;
  Put(Json(std::string(name)));
  Raw(":");
}

void JsonObjectWriter::Member(std::string_view name, const Json& value) {
  Name(name);
  Put(value);
}

void JsonObjectWriter::Array(std::string_view name, size_t size,
                             const std::function<Json(size_t)>& element) {
  Name(name);
  Raw("[");
  for (size_t i = 0; i < size; ++i) {
    if (i > 0) Raw(",");
    Put(element(i));
  }
  Raw("]");
}

bool JsonObjectWriter::Finish() {
  Raw(first_ ? "{}\n" : "}\n");
  return std::ferror(out_) == 0;
}

}  // namespace etcdsnap::cli
