#include "etcdsnap/etcd/schema.h"

#include <gtest/gtest.h>

#include "etcdsnap/bolt/file.h"

namespace etcdsnap::etcd {
namespace {

SchemaReport SchemaOf(const std::string& name) {
  auto f = bolt::File::Open(std::string(ETCDSNAP_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(f.ok()) << f.status().message();
  SchemaChecker sc;
  bolt::CheckOptions o;
  o.visitor = &sc;
  EXPECT_TRUE(bolt::Check(**f, o).ok());
  return sc.Finish();
}

bolt::Bytes B(const std::string& s) {
  return bolt::Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(SchemaTest, RealSnapshotsAreWellFormed) {
  for (const char* name : {"s1.db", "default-restore-db"}) {
    SchemaReport r = SchemaOf(name);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.problems.empty() ? "" : r.problems[0]);
    EXPECT_TRUE(r.has_consistent_index) << name;
    EXPECT_EQ(r.latest_revision, 6) << name;
    EXPECT_EQ(r.revisions, 5u) << name;  // revisions 2..6: 5 puts, 1 delete
    EXPECT_EQ(r.deletions, 1u) << name;
  }
}

TEST(SchemaTest, CountsKubernetesKeys) {
  EXPECT_EQ(SchemaOf("s1.db").kubernetes_keys, 0u);
  // 150 puts of /registry/pods/..., plus /big/1..3 and a leased key that are not.
  EXPECT_EQ(SchemaOf("etcd-branches.db").kubernetes_keys, 150u);
}

TEST(SchemaTest, ReportsMissingBucketsAndBadKeyEntries) {
  SchemaChecker sc;
  const std::string key = "key", bad = "not-a-revision", junk = "\x0a\x10";
  sc.OnEntry(bolt::Entry{0, B(key), {}, true});
  sc.OnEntry(bolt::Entry{1, B(bad), B(junk), false});
  std::string rev(17, '\0');
  rev[7] = 3;
  rev[8] = '_';
  sc.OnEntry(bolt::Entry{1, B(rev), B(junk), false});
  SchemaReport r = sc.Finish();
  ASSERT_FALSE(r.ok());
  ASSERT_GE(r.problems.size(), 3u);
  EXPECT_NE(r.problems[0].find("not 17"), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[1].find("revision 3_0: value is not a KeyValue"), std::string::npos)
      << r.problems[1];
  EXPECT_EQ(r.problems[2], "bucket \"alarm\" is missing");
}

}  // namespace
}  // namespace etcdsnap::etcd
