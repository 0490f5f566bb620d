#include "etcdsnap/etcd/v2_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace etcdsnap::etcd {
namespace {

Member M(uint64_t id, const std::string& url) {
  Member m;
  m.id = id;
  m.peer_urls = {url};
  return m;
}

// Byte equality with etcd's files is in raft/restore_files_test.cc; this covers what those two
// files cannot: map order by string, not by number, and the ring once it is full.
TEST(V2StoreTest, ChildrenSortedAsStringsIndexesInCreationOrder) {
  // 0x0f.. prints as 15 hex digits ("fff…"), which sorts after "1…" though it was created first.
  const std::string raw = MembershipV2StoreJson(
      {M(0x0fffffffffffffffull, "http://a:1"), M(0x1000000000000000ull, "http://b:1")});
  // Go's encoder writes map keys sorted as strings (nlohmann would sort them again: check raw).
  EXPECT_LT(raw.find("\"1000000000000000\":{"), raw.find("\"fffffffffffffff\":{"));
  const auto j = nlohmann::json::parse(raw);
  const auto& members = j["Root"]["Children"]["0"]["Children"]["members"];
  EXPECT_EQ(members["CreatedIndex"], 1);
  EXPECT_EQ(members["Children"]["fffffffffffffff"]["CreatedIndex"], 1);
  EXPECT_EQ(members["Children"]["1000000000000000"]["ModifiedIndex"], 2);
  EXPECT_EQ(members["Children"]["1000000000000000"]["Children"]["raftAttributes"]["Value"],
            R"({"peerURLs":["http://b:1"]})");
  EXPECT_EQ(j["Root"]["Children"]["1"]["Children"], nlohmann::json::object());
  EXPECT_EQ(j["CurrentIndex"], 2);
  EXPECT_EQ(j["Stats"]["createSuccess"], 2);
  EXPECT_EQ(j["WatcherHub"]["EventHistory"]["Queue"]["Events"][0]["node"]["key"],
            "/0/members/fffffffffffffff/raftAttributes");
}

TEST(V2StoreTest, EventRingDropsTheOldestOnceFull) {
  std::vector<Member> ms;
  for (uint64_t i = 1; i <= 1002; ++i) ms.push_back(M(i, "http://h:" + std::to_string(i)));
  const auto j = nlohmann::json::parse(MembershipV2StoreJson(ms));
  const auto& h = j["WatcherHub"]["EventHistory"];
  EXPECT_EQ(h["Queue"]["Size"], 1000);
  EXPECT_EQ(h["Queue"]["Front"], 2);
  EXPECT_EQ(h["Queue"]["Back"], 2);
  EXPECT_EQ(h["Queue"]["Events"].size(), 1000u);
  EXPECT_EQ(h["Queue"]["Events"][0]["node"]["modifiedIndex"], 1001);
  EXPECT_EQ(h["StartIndex"], 3);
  EXPECT_EQ(h["LastIndex"], 1002);
}

}  // namespace
}  // namespace etcdsnap::etcd
