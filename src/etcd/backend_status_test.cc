#include "etcdsnap/etcd/backend_status.h"

#include <gtest/gtest.h>

#include "etcdsnap/bolt/file.h"

namespace etcdsnap::etcd {
namespace {

const std::string kS1 = std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db";

Result<BackendStatus> StatusOf(const std::string& path, StatusLayout layout) {
  auto f = bolt::File::Open(path);
  if (!f.ok()) return f.status();
  StatusComputer sc(layout);
  bolt::CheckOptions o;
  o.visitor = &sc;
  bolt::CheckResult r = bolt::Check(**f, o);
  if (!r.ok()) return Status::Corruption(r.errors.empty() ? "?" : r.errors[0]);
  return sc.Finish((*f)->db_size());
}

TEST(BackendStatusTest, S1MatchesEtcdctl34) {
  auto s = StatusOf(kS1, StatusLayout::kEtcd34);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->hash, 1176213161u);
  EXPECT_EQ(s->revision, 6);
  EXPECT_EQ(s->total_key, 9);
  EXPECT_EQ(s->total_size, 24576u);
  EXPECT_EQ(s->version, "");
}

TEST(BackendStatusTest, S1CountsLiveKeysIn36Layout) {
  auto s = StatusOf(kS1, StatusLayout::kEtcd36);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->hash, 1176213161u);
  EXPECT_EQ(s->revision, 6);
  EXPECT_EQ(s->total_key, 2);
  EXPECT_EQ(s->version, "");
}

TEST(BackendStatusTest, NonBucketRootEntryAndShortRevisionFail) {
  StatusComputer sc(StatusLayout::kEtcd34);
  const uint8_t k[] = {'x'};
  sc.OnEntry(bolt::Entry{0, bolt::Bytes(k, 1), {}, false});
  EXPECT_FALSE(sc.Finish(0).ok());

  StatusComputer sc2(StatusLayout::kEtcd34);
  const uint8_t key[] = {'k', 'e', 'y'};
  sc2.OnEntry(bolt::Entry{0, bolt::Bytes(key, 3), {}, true});
  sc2.OnEntry(bolt::Entry{1, bolt::Bytes(k, 1), {}, false});
  auto r = sc2.Finish(0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot parse revision key"), std::string::npos);
}

TEST(BackendStatusTest, StorageVersionIn36Layout) {
  StatusComputer sc(StatusLayout::kEtcd36);
  const std::string meta = "meta", sv = "storageVersion", v = "3.6.0";
  auto b = [](const std::string& s) {
    return bolt::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  sc.OnEntry(bolt::Entry{0, b(meta), {}, true});
  sc.OnEntry(bolt::Entry{1, b(sv), b(v), false});
  auto r = sc.Finish(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, "3.6.0");
}

}  // namespace
}  // namespace etcdsnap::etcd
