#include "etcdsnap/bolt/cursor.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include <unistd.h>

#include <filesystem>

#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

using testing::Item;
using testing::TestDb;
using Children = std::vector<std::pair<std::string, Pgid>>;

std::string S(Bytes b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

class CursorTest : public ::testing::Test {
 protected:
  std::unique_ptr<File> Open(const std::string& bytes) {
    TestDb::WriteFile(dir_ + "/db", bytes);
    auto f = File::Open(dir_ + "/db");
    EXPECT_TRUE(f.ok()) << f.status().message();
    return f.ok() ? std::move(f).value() : nullptr;
  }

  static std::vector<std::string> Keys(Cursor& c, Status* st) {
    std::vector<std::string> keys;
    for (*st = c.First(); st->ok() && c.Valid(); *st = c.Next()) keys.push_back(S(c.key()));
    return keys;
  }

  ::etcdsnap::testing::TempDir tmp_{"bolt-cursor-test"};
  const std::string dir_ = tmp_.path();
};

TEST_F(CursorTest, WalksBranchesInKeyOrderWithOverflowValues) {
  TestDb db;
  const std::string big(10000, 'v');  // needs three pages
  Pgid l1 = db.AddLeaf({{"a", "1"}, {"b", big}});
  Pgid l2 = db.AddLeaf({{"c", "3"}, {"d", "4"}});
  Pgid l3 = db.AddLeaf({{"e", "5"}});
  Pgid b1 = db.AddBranch({{"a", l1}, {"c", l2}});
  Pgid root = db.AddBranch({{"a", b1}, {"e", l3}});
  auto f = Open(db.Finish(root));
  ASSERT_NE(f, nullptr);
  Cursor c(*f, root);
  Status st;
  EXPECT_EQ(Keys(c, &st), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(c.First().ok());
  ASSERT_TRUE(c.Next().ok());
  EXPECT_EQ(S(c.value()), big);
  EXPECT_EQ(c.page_id(), l1);
}

TEST_F(CursorTest, InlineBucket) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  auto f = Open(db.Finish(root));
  std::string image =
      TestDb::LeafImage({{"x", "1"}, TestDb::Bucket("y", TestDb::InlineBucket({}))});
  Cursor c(*f, Bytes(reinterpret_cast<const uint8_t*>(image.data()), image.size()), "inline");
  ASSERT_TRUE(c.First().ok());
  ASSERT_TRUE(c.Valid());
  EXPECT_FALSE(c.IsBucket());
  ASSERT_TRUE(c.Next().ok());
  EXPECT_TRUE(c.IsBucket());
  EXPECT_EQ(S(c.key()), "y");
  ASSERT_TRUE(c.Next().ok());
  EXPECT_FALSE(c.Valid());
}

TEST_F(CursorTest, EmptyBucket) {
  TestDb db;
  Pgid root = db.AddLeaf({});
  auto f = Open(db.Finish(root));
  Cursor c(*f, root);
  ASSERT_TRUE(c.First().ok());
  EXPECT_FALSE(c.Valid());
}

TEST_F(CursorTest, KeysOutOfOrderAreCorruption) {
  TestDb db;
  Pgid root = db.AddLeaf({{"b", "1"}, {"a", "2"}});
  auto f = Open(db.Finish(root));
  Cursor c(*f, root);
  Status st;
  Keys(c, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("is not greater than the previous key"), std::string::npos);
}

TEST_F(CursorTest, KeyOutsideItsBranchRangeIsCorruption) {
  TestDb db;
  Pgid l1 = db.AddLeaf({{"a", "1"}});
  Pgid l2 = db.AddLeaf({{"b", "2"}});  // the branch says this subtree starts at "c"
  Pgid root = db.AddBranch({{"a", l1}, {"c", l2}});
  auto f = Open(db.Finish(root));
  Cursor c(*f, root);
  Status st;
  Keys(c, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("is less than the key \"c\""), std::string::npos) << st.message();

  TestDb db2;
  l1 = db2.AddLeaf({{"a", "1"}, {"d", "2"}});  // "d" belongs right of "c"
  l2 = db2.AddLeaf({{"e", "3"}});
  root = db2.AddBranch({{"a", l1}, {"c", l2}});
  f = Open(db2.Finish(root));
  Cursor c2(*f, root);
  Keys(c2, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("is not less than the key \"c\""), std::string::npos) << st.message();
}

TEST_F(CursorTest, SharedSubtreesDoNotExplode) {
  // Each level's branch points 200 times at the next level: 200^5 paths without a guard.
  TestDb db;
  Pgid child = db.AddLeaf({});
  for (int level = 0; level < 5; ++level) {
    std::vector<std::pair<std::string, Pgid>> kids(200, {"k", child});
    child = db.AddBranch(kids);
  }
  auto f = Open(db.Finish(child));
  Cursor c(*f, child);
  c.set_check_order(false);
  Status st;
  Keys(c, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("more pages than the file holds"), std::string::npos) << st.message();
}

TEST_F(CursorTest, DeepChainStopsAtMaxDepth) {
  TestDb db;
  Pgid child = db.AddLeaf({{"k", "v"}});
  for (size_t i = 0; i < Cursor::kMaxDepth + 5; ++i) child = db.AddBranch({{"k", child}});
  auto f = Open(db.Finish(child));
  Cursor c(*f, child);
  Status st;
  Keys(c, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("deeper than"), std::string::npos) << st.message();
}

TEST_F(CursorTest, SelfReferencingBranchStops) {
  TestDb db;
  // Page 2 is a branch whose only child is page 2.
  Pgid root = db.AddBranch({{"a", 2}});
  auto f = Open(db.Finish(root));
  Cursor c(*f, root);
  Status st;
  Keys(c, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "page 2: a branch element points back at page 2, its own ancestor (a cycle)");
}

TEST_F(CursorTest, LargeSelfReferencingBranchIsStoppedBeforeASecondRead) {
  // A 1 MiB branch page (a 1 MiB key: 257 pages) whose child is itself, in a file with room for
  // 64 levels of it: without the ancestor check a bare cursor held 64 copies.
  TestDb db;
  const std::string big(1 << 20, 'k');
  Pgid root = db.AddBranch({{big, 2}});
  Pgid child = db.AddBranch({{big, root}});  // a two-page cycle through a second large page
  for (int i = 0; i < 300; ++i) db.AddEmpty();
  auto f = Open(db.Finish(root));
  const uint64_t page_bytes = (uint64_t{1} << 20) + 4096;
  for (Pgid start : {root, child}) {
    Cursor c(*f, start);
    Status st;
    Keys(c, &st);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("its own ancestor (a cycle)"), std::string::npos) << st.message();
    EXPECT_LE(c.peak_held_bytes(), 2 * page_bytes);
  }
}

TEST_F(CursorTest, BytesHeldAcrossFramesAreCapped) {
  // Ten distinct 64 KiB branch pages in a chain, then a leaf.
  TestDb db;
  const std::string big(60000, 'k');
  Pgid child = db.AddLeaf({{big, "v"}});
  for (int i = 0; i < 10; ++i) child = db.AddBranch({{big, child}});
  auto f = Open(db.Finish(child));
  Cursor whole(*f, child);
  Status st;
  EXPECT_EQ(Keys(whole, &st).size(), 1u);
  ASSERT_TRUE(st.ok()) << st.message();  // the default cap is far above 700 KiB
  Cursor capped(*f, child);
  capped.set_max_held_bytes(300 << 10);
  Keys(capped, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("-byte cap of a tree walk"), std::string::npos) << st.message();
  EXPECT_LE(capped.peak_held_bytes(), (300u << 10) + 16 * 4096);
}

TEST_F(CursorTest, TheCapCountsThePathNotWhatEarlierPagesLeft) {
  // A 12 KiB leaf (a 10,000-byte value), then a branch of one page whose 4 KiB leaf makes a
  // path of 12 KiB. The branch reuses the 12 KiB buffer the leaf left at its depth: counting
  // buffers, the path "held" 20 KiB, more than a 16 KiB cap, though a cursor started at the
  // branch holds 8 KiB. The split status walk relies on the cap being the path's alone.
  TestDb db;
  Pgid a = db.AddLeaf({{"a", std::string(10000, 'v')}});
  Pgid c = db.AddLeaf({{"n", "v"}});
  Pgid b = db.AddBranch({{"n", c}});
  Pgid root = db.AddBranch({{"a", a}, {"m", b}});
  auto f = Open(db.Finish(root));
  Cursor capped(*f, root);
  capped.set_max_held_bytes(16 << 10);
  Status st;
  EXPECT_EQ(Keys(capped, &st), (std::vector<std::string>{"a", "n"}));
  EXPECT_TRUE(st.ok()) << st.message();
  capped.set_max_held_bytes(12 << 10);  // root and leaf a: 16 KiB on one path
  Keys(capped, &st);
  EXPECT_NE(st.message().find("hold 16384 bytes"), std::string::npos) << st.message();
}

TEST_F(CursorTest, RootRangeWalksTheChildrenBetween) {
  TestDb db;
  Children children;
  for (char k : std::string("bdfh")) {
    children.emplace_back(std::string(1, k), db.AddLeaf({{std::string(1, k), "v"},
                                                         {std::string(1, k) + "x", "w"}}));
  }
  const Pgid root = db.AddBranch(children);
  auto f = Open(db.Finish(root));
  Status st;
  Cursor early(*f, root), late(*f, root), none(*f, root);
  early.set_root_range(0, 2);
  late.set_root_range(2, 100);  // past the count: to the end
  none.set_root_range(4, 4);
  EXPECT_EQ(Keys(early, &st), (std::vector<std::string>{"b", "bx", "d", "dx"}));
  EXPECT_EQ(Keys(late, &st), (std::vector<std::string>{"f", "fx", "h", "hx"}));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(*late.last_key(), "hx");
  EXPECT_TRUE(Keys(none, &st).empty());
  EXPECT_EQ(none.last_key(), nullptr);
}

TEST_F(CursorTest, FlagsThatAreNotExactlyOneTreeTypeAreCorruption) {
  for (uint16_t flags : {0x03, 0x12, 0x11, 0x06}) {
    TestDb db;
    Pgid root = db.AddLeaf({{"a", "1"}});
    std::string bytes = db.Finish(root);
    bytes[root * 4096 + 8] = static_cast<char>(flags);
    auto f = Open(bytes);
    Cursor c(*f, root);
    Status st = c.First();
    ASSERT_FALSE(st.ok()) << flags;
    char want[64];
    std::snprintf(want, sizeof want,
                  "page 2: invalid type: flags 0x%02x, not exactly branch or leaf", flags);
    EXPECT_EQ(st.message(), want);
  }
}

TEST_F(CursorTest, BranchWithNoElementsIsCorruption) {
  TestDb db;
  Pgid root = db.AddBranch({});
  auto f = Open(db.Finish(root));
  Cursor c(*f, root);
  Status st = c.First();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "page 2: branch page has no elements");
}

TEST_F(CursorTest, ElementPastPageEndIsCorruption) {
  TestDb db;
  Pgid root = db.AddLeaf({{"a", "1"}});
  std::string bytes = db.Finish(root);
  TestDb::Put32(bytes, root * 4096 + 16 + 12, 1u << 30);  // vsize
  auto f = Open(bytes);
  Cursor c(*f, root);
  Status st = c.First();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("past the end"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace etcdsnap::bolt
