#include "etcdsnap/etcd/backend_status.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/revision.h"
#include "temp_dir.h"
#include "test_db.h"

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

// The parallel walk (bucket `key` split over two threads) against the single walk, on crafted
// files: the same figures when the file is sound, exactly the same errors when it is not.
using bolt::Pgid;
using bolt::testing::Item;
using bolt::testing::TestDb;
using Children = std::vector<std::pair<std::string, Pgid>>;

std::string RevKey(uint64_t main, uint64_t sub = 0) {
  std::string k(kRevisionKeySize, '\0');
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<char>(main >> (56 - 8 * i));
    k[9 + i] = static_cast<char>(sub >> (56 - 8 * i));
  }
  k[8] = '_';
  return k;
}

// `n` pairs of bucket `key` from revision `from`, each value `value_bytes` long.
std::vector<Item> Revisions(uint64_t from, size_t n, size_t value_bytes = 20) {
  std::vector<Item> items;
  for (size_t i = 0; i < n; ++i) {
    items.push_back({RevKey(from + i), std::string(value_bytes, static_cast<char>('a' + i % 26))});
  }
  return items;
}

// A tree over sorted `items`: leaves of `per_leaf` pairs, branches of up to `fanout`
// children, each branch element keyed by its child's first key. Returns the root.
Pgid AddTree(TestDb& db, const std::vector<Item>& items, size_t per_leaf, size_t fanout) {
  if (items.empty()) return db.AddLeaf({});
  Children level;
  for (size_t i = 0; i < items.size(); i += per_leaf) {
    std::vector<Item> leaf(items.begin() + static_cast<long>(i),
                           items.begin() + static_cast<long>(std::min(i + per_leaf, items.size())));
    level.emplace_back(leaf[0].key, db.AddLeaf(leaf));
  }
  while (level.size() > 1) {
    Children up;
    for (size_t i = 0; i < level.size(); i += fanout) {
      Children group(level.begin() + static_cast<long>(i),
                     level.begin() + static_cast<long>(std::min(i + fanout, level.size())));
      up.emplace_back(group[0].first, db.AddBranch(group));
    }
    level = std::move(up);
  }
  return level[0].second;
}

// An etcd-like file: buckets before and after `key` (so the joined CRC must fall in order).
std::string EtcdLike(TestDb& db, Pgid key_root) {
  Pgid root = db.AddLeaf(
      {TestDb::Bucket("alarm", TestDb::InlineBucket({{"a1", "x"}})),
       TestDb::Bucket("key", TestDb::BucketValue(key_root)),
       TestDb::Bucket("meta", TestDb::InlineBucket({{"consistent_index", "12345678"}}))});
  return db.Finish(root);
}

struct Walk {
  bolt::CheckResult check;
  Result<BackendStatus> status = Status::Internal("not run");
};

class ParallelStatusTest : public ::testing::Test {
 protected:
  Walk Run(const std::string& bytes, bool parallel) {
    TestDb::WriteFile(tmp_.path() + "/db", bytes);
    auto f = bolt::File::Open(tmp_.path() + "/db");
    EXPECT_TRUE(f.ok()) << f.status().message();
    Walk w;
    if (!f.ok()) return w;
    StatusComputer sc(StatusLayout::kEtcd34);
    bolt::CheckOptions o;
    if (parallel) {
      o.parallel_visitor = &sc;
    } else {
      o.visitor = &sc;
    }
    w.check = bolt::Check(**f, o);
    w.status = sc.Finish((*f)->db_size());
    return w;
  }

  // Both walks; the parallel one must have split the bucket (`split`), and agree in every
  // figure. Returns the parallel walk.
  Walk ExpectSame(const std::string& bytes, bool split) {
    const Walk one = Run(bytes, false), two = Run(bytes, true);
    EXPECT_EQ(two.check.walked_split, split);
    EXPECT_FALSE(one.check.walked_split);
    EXPECT_EQ(two.check.errors, one.check.errors);
    EXPECT_EQ(two.check.error_count, one.check.error_count);
    EXPECT_EQ(two.check.reachable_pages, one.check.reachable_pages);
    EXPECT_EQ(two.check.free_pages, one.check.free_pages);
    EXPECT_EQ(two.check.buckets, one.check.buckets);
    EXPECT_EQ(two.check.inline_buckets, one.check.inline_buckets);
    EXPECT_EQ(two.check.keys, one.check.keys);
    EXPECT_EQ(two.status.ok(), one.status.ok());
    if (one.status.ok() && two.status.ok()) {
      EXPECT_EQ(two.status->hash, one.status->hash);
      EXPECT_EQ(two.status->revision, one.status->revision);
      EXPECT_EQ(two.status->total_key, one.status->total_key);
      EXPECT_EQ(two.status->total_size, one.status->total_size);
    } else {
      EXPECT_EQ(two.status.status().message(), one.status.status().message());
    }
    return two;
  }

  // A sound file: the same figures, from one parallel walk (no second walk).
  void ExpectSound(const std::string& bytes, bool split) {
    const Walk w = ExpectSame(bytes, split);
    EXPECT_TRUE(w.check.ok()) << (w.check.errors.empty() ? "" : w.check.errors[0]);
    EXPECT_FALSE(w.check.rewalked);
    EXPECT_TRUE(w.status.ok()) << w.status.status().message();
  }

  // A damaged file: exactly the single walk's errors, from the walk made again on one thread.
  void ExpectRewalked(const std::string& bytes) {
    const Walk w = ExpectSame(bytes, true);
    EXPECT_FALSE(w.check.ok());
    EXPECT_TRUE(w.check.rewalked);
  }

  ::etcdsnap::testing::TempDir tmp_{"parallel-status-test"};
};

TEST_F(ParallelStatusTest, KeyBucketAsOneLeafIsNotSplit) {
  TestDb db;
  ExpectSound(EtcdLike(db, AddTree(db, Revisions(2, 5), 10, 4)), false);
}

TEST_F(ParallelStatusTest, EmptyKeyBucketIsNotSplit) {
  TestDb db;
  ExpectSound(EtcdLike(db, AddTree(db, {}, 10, 4)), false);
}

TEST_F(ParallelStatusTest, BranchOfTwoThreeAndManyChildren) {
  for (size_t leaves : {2, 3, 4, 5, 50}) {
    SCOPED_TRACE(leaves);
    TestDb db;
    ExpectSound(EtcdLike(db, AddTree(db, Revisions(2, leaves * 4), 4, 64)), true);
  }
}

TEST_F(ParallelStatusTest, DeepTrees) {
  for (size_t fanout : {2, 3, 7}) {
    SCOPED_TRACE(fanout);
    TestDb db;
    ExpectSound(EtcdLike(db, AddTree(db, Revisions(100, 300), 3, fanout)), true);
  }
}

TEST_F(ParallelStatusTest, OverflowValues) {
  TestDb db;  // 10,000-byte values: leaves of three 4 KiB pages and more
  ExpectSound(EtcdLike(db, AddTree(db, Revisions(7, 12, 10000), 2, 4)), true);
}

TEST_F(ParallelStatusTest, InlineAndNestedBucketsInsideTheKeyBucket) {
  // etcd has none, but a file may: their pairs are walked (and checked) but not hashed.
  TestDb db;
  std::vector<Item> items = Revisions(2, 40);
  Pgid nested = AddTree(db, Revisions(1000, 9), 2, 2);
  items[5] = TestDb::Bucket(items[5].key, TestDb::InlineBucket({{"x", "y"}, {"z", ""}}));
  items[33] = TestDb::Bucket(items[33].key, TestDb::BucketValue(nested));
  items[34] = TestDb::Bucket(items[34].key, TestDb::InlineBucket({}));
  ExpectSound(EtcdLike(db, AddTree(db, items, 4, 3)), true);
}

TEST_F(ParallelStatusTest, StatusErrorsKeepTheirOrderAcrossTheHalves) {
  // Keys too short to be revisions in the later half, then in both: the first one's message.
  for (bool in_first : {false, true}) {
    TestDb db;
    std::vector<Item> items = Revisions(2, 20);
    items[15].key = RevKey(16).substr(0, 9) + "late";
    if (in_first) items[2].key = RevKey(3).substr(0, 9) + "early";
    const Walk w = ExpectSame(EtcdLike(db, AddTree(db, items, 4, 8)), true);
    EXPECT_TRUE(w.check.ok());
    ASSERT_FALSE(w.status.ok());
    EXPECT_NE(w.status.status().message().find(in_first ? "of 14 bytes" : "of 13 bytes"),
              std::string::npos)
        << w.status.status().message();
  }
}

TEST_F(ParallelStatusTest, KeysOutOfOrderAcrossTheHalves) {
  // The root's keys out of order (9 before 4) around an empty leaf: each half is in order
  // within its bounds, only the earlier's last key against the later's first is not.
  TestDb db;
  Pgid l0 = db.AddLeaf({{RevKey(2), "a"}, {RevKey(5), "b"}});
  Pgid l1 = db.AddLeaf({});
  Pgid l2 = db.AddLeaf({{RevKey(4), "c"}});
  ExpectRewalked(EtcdLike(db, db.AddBranch({{RevKey(2), l0}, {RevKey(9), l1}, {RevKey(4), l2}})));
}

TEST_F(ParallelStatusTest, SubtreeSharedBetweenTheHalves) {
  {  // the root's last child is its first one again (out of its key range there, too)
    TestDb db;
    Children leaves;
    for (int i = 0; i < 3; ++i) {
      std::vector<Item> r = Revisions(2 + 4 * i, 4);
      leaves.emplace_back(r[0].key, db.AddLeaf(r));
    }
    leaves.emplace_back(RevKey(50), leaves[0].second);
    ExpectRewalked(EtcdLike(db, db.AddBranch(leaves)));
  }
  {  // a nested bucket in each half with one page tree: each half alone is sound
    TestDb db;
    Pgid shared = AddTree(db, Revisions(1000, 6), 2, 4);
    std::vector<Item> items = Revisions(2, 24);
    items[1] = TestDb::Bucket(items[1].key, TestDb::BucketValue(shared));
    items[22] = TestDb::Bucket(items[22].key, TestDb::BucketValue(shared));
    ExpectRewalked(EtcdLike(db, AddTree(db, items, 4, 8)));
  }
}

TEST_F(ParallelStatusTest, CycleInTheLaterHalf) {
  {  // a branch of the later half points back at the bucket's root
    TestDb db;
    Pgid a = db.AddLeaf(Revisions(2, 4)), b = db.AddLeaf(Revisions(6, 4));
    Pgid c = db.AddLeaf(Revisions(10, 4));
    // Pages are numbered in order: the inner branch is next, the root after it.
    const Pgid inner_id = c + 1, root_id = c + 2;
    Pgid inner = db.AddBranch({{RevKey(10), c}, {RevKey(20), root_id}});
    EXPECT_EQ(inner, inner_id);
    Pgid root = db.AddBranch({{RevKey(2), a}, {RevKey(6), b}, {RevKey(10), inner}});
    EXPECT_EQ(root, root_id);
    ExpectRewalked(EtcdLike(db, root));
  }
  {  // a branch of the later half points at itself
    TestDb db;
    Pgid a = db.AddLeaf(Revisions(2, 4)), b = db.AddLeaf(Revisions(6, 4));
    const Pgid self = b + 1;
    EXPECT_EQ(db.AddBranch({{RevKey(6), b}, {RevKey(9), self}}), self);
    ExpectRewalked(EtcdLike(db, db.AddBranch({{RevKey(2), a}, {RevKey(6), self}})));
  }
}

TEST_F(ParallelStatusTest, PageOutOfRangeInTheLaterHalf) {
  TestDb db;
  Pgid a = db.AddLeaf(Revisions(2, 4)), b = db.AddLeaf(Revisions(6, 4));
  Pgid c = db.AddLeaf(Revisions(10, 4));
  ExpectRewalked(EtcdLike(
      db, db.AddBranch({{RevKey(2), a}, {RevKey(6), b}, {RevKey(10), c}, {RevKey(14), 9999}})));
}

TEST_F(ParallelStatusTest, LayoutOf36IsNotSplit) {
  TestDb db;
  const std::string bytes = EtcdLike(db, AddTree(db, Revisions(2, 40), 4, 64));
  TestDb::WriteFile(tmp_.path() + "/db", bytes);
  auto f = bolt::File::Open(tmp_.path() + "/db");
  ASSERT_TRUE(f.ok());
  StatusComputer sc(StatusLayout::kEtcd36);
  bolt::CheckOptions o;
  o.parallel_visitor = &sc;
  EXPECT_FALSE(bolt::Check(**f, o).walked_split);
}

// A real etcd's file whose key bucket has branch pages: split, and the same figures as one walk
// (s1.db's key bucket is one leaf: it would only exercise the single walk).
TEST_F(ParallelStatusTest, EtcdFileWithBranchesIsTheSameOnTwoThreads) {
  const std::string bytes = etcdsnap::testing::ReadFileOrEmpty(
      std::string(ETCDSNAP_TEST_DATA_DIR) + "/etcd-branches.db");
  ASSERT_FALSE(bytes.empty());
  ExpectSound(bytes, /*split=*/true);
  const Walk w = Run(bytes, true);
  ASSERT_TRUE(w.status.ok());
  EXPECT_GT(w.status->total_key, 100);
}

}  // namespace
}  // namespace etcdsnap::etcd
