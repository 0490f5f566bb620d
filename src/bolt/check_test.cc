#include "etcdsnap/bolt/check.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include <unistd.h>

#include <filesystem>

#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

using testing::Item;
using testing::TestDb;

class CheckTest : public ::testing::Test {
 protected:
  CheckResult CheckBytes(const std::string& bytes, EntryVisitor* v = nullptr) {
    TestDb::WriteFile(dir_ + "/db", bytes);
    auto f = File::Open(dir_ + "/db");
    EXPECT_TRUE(f.ok()) << f.status().message();
    if (!f.ok()) return {};
    CheckOptions o;
    o.visitor = v;
    return Check(**f, o);
  }

  ::etcdsnap::testing::TempDir tmp_{"bolt-check-test"};
  const std::string dir_ = tmp_.path();
};

// Records entries as "depth:key" (with "/" for buckets).
class Recorder : public EntryVisitor {
 public:
  void OnEntry(const Entry& e) override {
    seen.push_back(std::to_string(e.depth) + ":" +
                   std::string(reinterpret_cast<const char*>(e.key.data()), e.key.size()) +
                   (e.is_bucket ? "/" : ""));
  }
  std::vector<std::string> seen;
};

// Two top-level buckets: "a" (own tree with a nested inline bucket), "b" (inline).
std::string GoodDb(Pgid* freelist_out = nullptr, bool persisted = false) {
  TestDb db;
  Pgid a_leaf = db.AddLeaf({{"k1", "v1"},
                            TestDb::Bucket("n", TestDb::InlineBucket({{"x", "y"}})),
                            {"z", std::string(5000, 'z')}});
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(a_leaf)),
                          TestDb::Bucket("b", TestDb::InlineBucket({{"k", "v"}}))});
  Pgid fl = kNoFreelist;
  if (persisted) {
    Pgid unused = db.AddEmpty();
    fl = db.AddFreelist({unused});
  }
  if (freelist_out) *freelist_out = fl;
  return db.Finish(root, fl);
}

TEST_F(CheckTest, GoodFileVisitsEverythingInOrder) {
  Recorder r;
  CheckResult res = CheckBytes(GoodDb(), &r);
  EXPECT_TRUE(res.ok()) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(r.seen,
            (std::vector<std::string>{"0:a/", "1:k1", "1:n/", "2:x", "1:z", "0:b/", "1:k"}));
  EXPECT_FALSE(res.freelist_persisted);
  EXPECT_EQ(res.high_water, 5u);  // meta, meta, a_leaf (2 pages), root
  EXPECT_EQ(res.reachable_pages, 5u);
  EXPECT_EQ(res.free_pages, 0u);
  EXPECT_EQ(res.buckets, 4u);  // root, a, n, b
  EXPECT_EQ(res.inline_buckets, 2u);
  EXPECT_EQ(res.keys, 4u);
}

TEST_F(CheckTest, PersistedFreelistIsHonoured) {
  CheckResult res = CheckBytes(GoodDb(nullptr, true));
  EXPECT_TRUE(res.ok()) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_TRUE(res.freelist_persisted);
  EXPECT_EQ(res.free_pages, 1u);
}

TEST_F(CheckTest, WideFreelistCountAndOverflowFreelistPages) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  std::vector<Pgid> free;
  for (int i = 0; i < 600; ++i) free.push_back(db.AddEmpty());  // 600 ids need two pages
  Pgid fl = db.AddFreelist(free, /*wide=*/true);
  CheckResult res = CheckBytes(db.Finish(root, fl));
  EXPECT_TRUE(res.ok()) << (res.errors.empty() ? "" : res.errors[0]);
  EXPECT_EQ(res.free_pages, 600u);
  EXPECT_EQ(res.reachable_pages, 2u + 1u + 2u);  // metas, root, freelist and its overflow
}

TEST_F(CheckTest, BadElementsAreOneErrorNotACascade) {
  TestDb db;
  Pgid leaf = db.AddLeaf({{"k", std::string(6000, 'v')}});  // two pages
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(leaf))});
  Pgid fl = db.AddFreelist({});
  std::string bytes = db.Finish(root, fl);
  TestDb::Put32(bytes, leaf * 4096 + 16 + 12, 1u << 20);  // vsize past the page
  CheckResult res = CheckBytes(bytes);
  ASSERT_EQ(res.error_count, 1u) << (res.errors.empty() ? "" : res.errors.back());
  EXPECT_NE(res.errors[0].find("page 2: element 0"), std::string::npos) << res.errors[0];
}

TEST_F(CheckTest, UnreachableUnfreed) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  Pgid lost = db.AddEmpty();
  Pgid fl = db.AddFreelist({});
  CheckResult res = CheckBytes(db.Finish(root, fl));
  ASSERT_EQ(res.error_count, 1u);
  EXPECT_EQ(res.errors[0], "page " + std::to_string(lost) + ": unreachable unfreed");
}

TEST_F(CheckTest, ReachableFreedAndAlreadyFreed) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  Pgid fl = db.AddFreelist({root, root});
  CheckResult res = CheckBytes(db.Finish(root, fl));
  EXPECT_EQ(res.errors,
            (std::vector<std::string>{"page 2: already freed", "page 2: reachable freed"}));
}

TEST_F(CheckTest, MultipleReferencesAndCycleTerminate) {
  TestDb db;
  Pgid leaf = db.AddLeaf({{"a", "1"}});
  Pgid root = db.AddBranch({{"a", leaf}, {"b", leaf}});
  CheckResult res = CheckBytes(db.Finish(root));
  ASSERT_GE(res.error_count, 1u);
  EXPECT_EQ(res.errors[0], "page 2: multiple references");

  TestDb cyc;
  Pgid self = cyc.AddBranch({{"a", 2}});  // points at itself
  res = CheckBytes(cyc.Finish(self));
  ASSERT_GE(res.error_count, 1u);
  EXPECT_EQ(res.errors[0], "page 2: multiple references");
}

TEST_F(CheckTest, BucketCycleThroughNestedBucketsTerminates) {
  TestDb db;
  // Bucket "a" has root page 2, whose leaf holds bucket "x" whose root is page 2 again.
  Pgid leaf = db.AddLeaf({TestDb::Bucket("x", TestDb::BucketValue(2))});
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(leaf))});
  CheckResult res = CheckBytes(db.Finish(root));
  ASSERT_EQ(res.error_count, 1u);
  EXPECT_EQ(res.errors[0], "page 2: multiple references");
}

TEST_F(CheckTest, InvalidTypeAndOutOfBounds) {
  TestDb db;
  Pgid empty = db.AddEmpty();  // flags 0
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(empty)),
                          TestDb::Bucket("b", TestDb::BucketValue(99))});
  CheckResult res = CheckBytes(db.Finish(root));
  ASSERT_EQ(res.error_count, 2u);
  EXPECT_EQ(res.errors[0], "page 2: invalid type: unknown<00>");
  EXPECT_EQ(res.errors[1], "page 99: out of bounds: 4");
}

TEST_F(CheckTest, BadInlineBucketAndShortBucketValue) {
  TestDb db;
  std::string bad_inline = TestDb::InlineBucket({{"k", "v"}});
  TestDb::Put32(bad_inline, 16 + 16 + 4, 9999);  // pos of the element
  Pgid root = db.AddLeaf({TestDb::Bucket("a", bad_inline), TestDb::Bucket("b", "short")});
  CheckResult res = CheckBytes(db.Finish(root));
  ASSERT_EQ(res.error_count, 2u);
  EXPECT_NE(res.errors[0].find("bucket \"a\" (inline)"), std::string::npos) << res.errors[0];
  EXPECT_NE(res.errors[1].find("bucket \"b\""), std::string::npos) << res.errors[1];
}

TEST_F(CheckTest, FreelistPointingAtLeafIsReported) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  CheckResult res = CheckBytes(db.Finish(root, root));
  ASSERT_GE(res.error_count, 1u);
  EXPECT_EQ(res.errors[0], "page 2: invalid freelist page, page type is leaf");
}

TEST_F(CheckTest, MixedFlagsOnTreeInlineAndFreelistPages) {
  // bbolt's cursor reads a 0x03 page as a leaf and its Check() as a branch, following its leaf
  // bytes as child page ids; every page must carry exactly one type.
  TestDb db;
  Pgid leaf = db.AddLeaf({{"k", "v"}});
  std::string mixed_inline = TestDb::InlineBucket({{"x", "y"}});
  mixed_inline[16 + 8] = 0x03;
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(leaf)),
                          TestDb::Bucket("b", mixed_inline)});
  Pgid fl = db.AddFreelist({});
  std::string bytes = db.Finish(root, fl);
  bytes[leaf * 4096 + 8] = 0x03;
  bytes[fl * 4096 + 8] = 0x12;
  CheckResult res = CheckBytes(bytes);
  EXPECT_EQ(res.errors,
            (std::vector<std::string>{
                "page 4: invalid freelist page, page type is flags 0x12, not exactly freelist",
                "page 2: invalid type: flags 0x03, not exactly branch or leaf",
                "page 3: bucket \"b\" (inline): an inline page must be a leaf; its type is "
                "flags 0x03, not exactly leaf",
                "page 4: unreachable unfreed"}));  // the freelist page is not one
}

TEST_F(CheckTest, BranchWithNoElements) {
  TestDb db;
  Pgid empty = db.AddBranch({});
  Pgid root = db.AddLeaf({TestDb::Bucket("a", TestDb::BucketValue(empty))});
  CheckResult res = CheckBytes(db.Finish(root));
  EXPECT_EQ(res.errors, (std::vector<std::string>{"page 2: branch page has no elements"}));
}

TEST_F(CheckTest, ErrorsPastTheCapAreCounted) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  for (int i = 0; i < 10; ++i) db.AddEmpty();
  Pgid fl = db.AddFreelist({});
  TestDb::WriteFile(dir_ + "/db", db.Finish(root, fl));
  auto f = File::Open(dir_ + "/db");
  ASSERT_TRUE(f.ok());
  CheckOptions o;
  o.max_errors = 3;
  CheckResult res = Check(**f, o);
  EXPECT_EQ(res.error_count, 10u);
  EXPECT_EQ(res.errors.size(), 3u);
}

}  // namespace
}  // namespace etcdsnap::bolt
