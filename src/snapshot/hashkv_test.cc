// The hashkv use case on bbolt files written from a model of etcd's store (etcd/test_history.h):
// the reference vectors through a real file, compressed files, the default and explicit
// revisions, and every refusal.
#include "etcdsnap/snapshot/hashkv.h"

#include <gtest/gtest.h>

#include <fstream>

#include "etcdsnap/bolt/builder.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/util/compression.h"
#include "temp_dir.h"
#include "test_history.h"

namespace etcdsnap::snapshot {
namespace {

using etcd::testing::RevisionKey;
using etcd::testing::TestHistory;

class HashKvFileTest : public ::testing::Test {
 protected:
  // Writes `h` as an etcd backend: buckets key and meta (with the compaction marks).
  std::string Write(const TestHistory& h, const std::string& name = "snap.db",
                    bool with_key_bucket = true) {
    const std::string path = tmp_.Join(name);
    auto b = bolt::Builder::Create(path, {.persist_freelist = false, .sync = false});
    EXPECT_TRUE(b.ok());
    if (with_key_bucket) {
      EXPECT_TRUE((*b)->BeginBucket(etcd::kKeyBucket).ok());
      for (const auto& [k, v] : h.entries()) EXPECT_TRUE((*b)->Put(k, v).ok());
      EXPECT_TRUE((*b)->EndBucket().ok());
    }
    EXPECT_TRUE((*b)->BeginBucket(etcd::kMetaBucket).ok());
    EXPECT_TRUE((*b)->Put("consistent_index", std::string(8, '\1')).ok());
    if (h.finished_compact()) {
      EXPECT_TRUE((*b)->Put(etcd::kFinishedCompactKey, RevisionKey(*h.finished_compact(), 0, false)).ok());
    }
    if (h.scheduled_compact()) {
      EXPECT_TRUE((*b)->Put(etcd::kScheduledCompactKey, RevisionKey(*h.scheduled_compact(), 0, false)).ok());
    }
    EXPECT_TRUE((*b)->EndBucket().ok());
    EXPECT_TRUE((*b)->Finish().ok());
    return path;
  }

  Result<HashKvResult> Hash(const std::string& path, int64_t rev = 0,
                            std::optional<int64_t> compact = {}, const char* version = "") {
    return ComputeHashKv({.path = path,
                          .revision = rev,
                          .compact_revision = compact,
                          .rules = *etcd::HashKvRulesFor(version)});
  }

  static TestHistory Vectors() {
    TestHistory h;
    h.Put("foo", "bar");
    h.Delete("foo");
    h.Put("foo", "baz");
    return h;
  }

  testing::TempDir tmp_{"etcdsnap-hashkv"};
};

TEST_F(HashKvFileTest, ReferenceVectorsThroughAFile) {
  TestHistory h;
  auto r = Hash(Write(h, "empty.db"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->hash, 0x40a4756du);
  EXPECT_EQ(r->revision, 1);
  EXPECT_EQ(r->compact_revision, -1);

  h.Put("foo", "bar");
  r = Hash(Write(h, "put.db"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->hash, 0xc5023252u);
  EXPECT_EQ(r->revision, 2);

  h = Vectors();
  const std::string full = Write(h, "full.db");
  r = Hash(full);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash, 0x7eccde94u);
  EXPECT_EQ(r->revision, 4);
  EXPECT_EQ(r->keys, 1u);
  // A member that compacted at 3 after this file was saved.
  r = Hash(full, 0, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash, 0xa174fea0u);
  EXPECT_EQ(r->compact_revision, 3);
  EXPECT_EQ(r->file_compact_revision, -1);

  h.Compact(3);
  r = Hash(Write(h, "compacted.db"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hash, 0xa174fea0u);
  EXPECT_EQ(r->revision, 4);
  EXPECT_EQ(r->compact_revision, 3);
}

// Snapshots saved by etcd 3.4.23 (tests/data/README.md); the values are what `etcdctl endpoint
// hashkv --rev R` printed for etcd 3.4.23 booted from each file (restored by etcdsnap).
TEST_F(HashKvFileTest, SnapshotsOfARealEtcd) {
  const std::string data = ETCDSNAP_TEST_DATA_DIR;
  struct Case {
    const char* file;
    int64_t rev;
    uint32_t hash;
  };
  for (const Case& c : {Case{"s1.db", 0, 129169495u}, Case{"s1.db", 6, 129169495u},
                        Case{"etcd-branches.db", 0, 1105875478u},
                        Case{"etcd-branches.db", 155, 1105875478u},
                        Case{"etcd-branches.db", 100, 2076269162u},
                        Case{"etcd-branches.db", 10, 3863987528u}}) {
    for (const char* version : {"3.4.23", ""}) {
      auto r = Hash(data + "/" + c.file, c.rev, {}, version);
      ASSERT_TRUE(r.ok()) << c.file << ": " << r.status().message();
      EXPECT_EQ(r->hash, c.hash) << c.file << " at " << c.rev << " rules " << version;
      EXPECT_EQ(r->compact_revision, -1);
    }
  }
}

TEST_F(HashKvFileTest, ManyKeysOverBranchPagesMatchTheModel) {
  TestHistory h;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = "/registry/pods/ns" + std::to_string(i % 7) + "/pod-" + std::to_string(i % 900);
    if (i % 11 == 0) {
      h.Delete(k);
    } else {
      h.Put(k, std::string(static_cast<size_t>(i % 300), 'v'));
    }
  }
  h.Compact(1500);
  const std::string path = Write(h);
  etcd::KvHasher model(0);
  auto walk = [&h](const etcd::KeyEntryFn& fn) { return h.Walk(fn); };
  ASSERT_TRUE(model.Index(walk).ok());
  for (int64_t c : {int64_t{1500}, int64_t{2000}, h.current()}) {
    auto r = Hash(path, 0, c);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->hash, model.Hash(walk, {{c, true}})->front()) << c;
  }
  auto at2500 = Hash(path, 2500, 2000);
  etcd::KvHasher model2500(2500);
  ASSERT_TRUE(model2500.Index(walk).ok());
  ASSERT_TRUE(at2500.ok());
  EXPECT_EQ(at2500->hash, model2500.Hash(walk, {{2000, true}})->front());
}

TEST_F(HashKvFileTest, CompressedFileHashesAsThePlainOne) {
  const std::string plain = Write(Vectors());
  std::ifstream in(plain, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string z;
  auto c = Compressor::Create({.algorithm = Compression::kZstd}, [&](std::span<const uint8_t> d) {
    z.append(reinterpret_cast<const char*>(d.data()), d.size());
    return Status::Ok();
  });
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
  ASSERT_TRUE((*c)->Finish().ok());
  testing::WriteFileOrDie(tmp_.Join("snap.db.zst"), z);
  auto r = Hash(tmp_.Join("snap.db.zst"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->hash, 0x7eccde94u);
}

TEST_F(HashKvFileTest, RevisionChecksFollowTheRules) {
  TestHistory h = Vectors();
  h.Put("bar", "1");  // 5
  h.Compact(3);
  const std::string path = Write(h);
  // R == C: refused before 3.4.27, answered after.
  auto old = Hash(path, 3, {}, "3.4.23");
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("required revision has been compacted"), std::string::npos);
  EXPECT_NE(old.status().message().find(path), std::string::npos);
  auto now = Hash(path, 3);
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_EQ(now->revision, 3);
  EXPECT_FALSE(Hash(path, 2).ok());
  auto future = Hash(path, 6);
  ASSERT_FALSE(future.ok());
  EXPECT_NE(future.status().message().find("future revision"), std::string::npos);
  // --compact-rev only upwards, and not past the latest revision; R must not be below it.
  auto below = Hash(path, 0, 2);
  ASSERT_FALSE(below.ok());
  EXPECT_NE(below.status().message().find("compacted at revision 3"), std::string::npos);
  EXPECT_FALSE(Hash(path, 0, 6).ok());
  EXPECT_FALSE(Hash(path, 4, 5).ok());
  EXPECT_TRUE(Hash(path, 5, 5).ok());
  EXPECT_FALSE(Hash(path, 4, 4, "3.4.23").ok());
}

TEST_F(HashKvFileTest, Refusals) {
  auto missing = Hash(tmp_.Join("nope.db"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.db"), std::string::npos);
  testing::WriteFileOrDie(tmp_.Join("text"), std::string(8192, 'x'));
  EXPECT_FALSE(Hash(tmp_.Join("text")).ok());
  auto no_key = Hash(Write(Vectors(), "nokey.db", false));
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.status().code(), Code::kCorruption);
  EXPECT_NE(no_key.status().message().find("no bucket \"key\""), std::string::npos)
      << no_key.status().message();
}

}  // namespace
}  // namespace etcdsnap::snapshot
