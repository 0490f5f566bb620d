#include "etcdsnap/cli/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace etcdsnap::cli {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(SplitLogLineTest, MessageThenFieldsWhoseValuesRunToTheNextKey) {
  const LogLine l = SplitLogLine(
      "fetched snapshot endpoint=127.0.0.1:2379 size=2.1 MB took=0.004s throughput=21 MB/s");
  EXPECT_EQ(l.msg, "fetched snapshot");
  EXPECT_EQ(l.fields, (Fields{{"endpoint", "127.0.0.1:2379"},
                              {"size", "2.1 MB"},
                              {"took", "0.004s"},
                              {"throughput", "21 MB/s"}}));
}

TEST(SplitLogLineTest, ProseColonIsDroppedAndQuotedValuesKeepTheirKeysInside) {
  const LogLine l = SplitLogLine(
      "endpoint 127.0.0.1:2379 is reachable: cluster=abc path=\"/b/a x=1.db\" applied-index=5");
  EXPECT_EQ(l.msg, "endpoint 127.0.0.1:2379 is reachable");
  EXPECT_EQ(l.fields,
            (Fields{{"cluster", "abc"}, {"path", "/b/a x=1.db"}, {"applied-index", "5"}}));
  EXPECT_EQ(SplitLogLine("no fields here (see --idle-timeout)").fields, Fields{});
  // A path with a space and an '=' that follows no key-like word stays one value.
  EXPECT_EQ(SplitLogLine("saved path=/my backups/a=b.db").fields,
            (Fields{{"path", "/my backups/a=b.db"}}));
}

TEST(JsonLogLineTest, ZapFieldNamesAndUnixSecondsAsEtcdctl) {
  const auto t = std::chrono::system_clock::from_time_t(1796300710) + std::chrono::milliseconds(250);
  const auto j = nlohmann::ordered_json::parse(
      JsonLogLine("info", t, "created temporary db file path=/b/x.db.part"));
  EXPECT_EQ(j.dump(), R"({"level":"info","ts":1796300710.25,"msg":"created temporary db file",)"
                      R"("path":"/b/x.db.part"})");
  // A field named like one of zap's own keys does not replace it.
  const auto k = nlohmann::json::parse(JsonLogLine("warn", t, "odd msg=x level=y"));
  EXPECT_EQ(k["msg"], "odd");
  EXPECT_EQ(k["level"], "warn");
  EXPECT_EQ(k["field-msg"], "x");
  // Errors and warnings are sentences: all of it is the message.
  EXPECT_EQ(JsonLogLine("error", t, "set ETCDCTL_API=3 or unset it", false),
            R"({"level":"error","ts":1796300710.25,"msg":"set ETCDCTL_API=3 or unset it"})");
}

}  // namespace
}  // namespace etcdsnap::cli
