#include "etcdsnap/bolt/format.h"

#include <gtest/gtest.h>

#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

Bytes B(const std::string& s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(FormatTest, LittleAndBigEndianLoads) {
  const uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(LoadLE16(b), 0x0201);
  EXPECT_EQ(LoadLE32(b), 0x04030201u);
  EXPECT_EQ(LoadLE64(b), 0x0807060504030201ull);
  EXPECT_EQ(LoadBE64(b), 0x0102030405060708ull);
}

TEST(FormatTest, QuoteEscapesAndCuts) {
  const std::string raw = std::string("a\"b\\c\x01") + '\xff';
  const Bytes b(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  EXPECT_EQ(Quote(raw), "\"a\\x22b\\x5cc\\x01\\xff\"");
  EXPECT_EQ(Quote(raw, 2), "\"a\\x22...\"");
  EXPECT_EQ(Quote(std::string(64, 'k')), "\"" + std::string(64, 'k') + "\"");
  EXPECT_EQ(View(b), raw);
}

// bbolt's bytes.Compare: unsigned bytes, then length; the cursor's order checks and the
// writers' sort checks both use it.
TEST(FormatTest, CompareKeysAsBytesCompare) {
  EXPECT_EQ(CompareKeys("a", "b"), -1);
  EXPECT_EQ(CompareKeys("b", "a"), 1);
  EXPECT_EQ(CompareKeys("ab", "ab"), 0);
  EXPECT_EQ(CompareKeys("", ""), 0);
  EXPECT_EQ(CompareKeys("a", "ab"), -1);
  EXPECT_EQ(CompareKeys("ab", "a"), 1);
  EXPECT_EQ(CompareKeys(std::string(1, '\xff'), "a"), 1);  // unsigned, not signed char
  EXPECT_EQ(CompareKeys(std::string("a\0b", 3), std::string("a\0c", 3)), -1);
}

TEST(FormatTest, PageTypeNamesMatchBbolt) {
  EXPECT_EQ(PageTypeName(kBranchPageFlag), "branch");
  EXPECT_EQ(PageTypeName(kLeafPageFlag), "leaf");
  EXPECT_EQ(PageTypeName(kMetaPageFlag), "meta");
  EXPECT_EQ(PageTypeName(kFreelistPageFlag), "freelist");
  EXPECT_EQ(PageTypeName(0x40), "unknown<40>");
}

TEST(FormatTest, MetaRoundTripAndValidation) {
  testing::TestDb db;
  Pgid root = db.AddLeaf({});
  std::string file = db.Finish(root);
  Bytes raw = B(file).subspan(kPageHeaderSize, kMetaSize);
  Meta m = DecodeMeta(raw);
  EXPECT_EQ(m.magic, kMagic);
  EXPECT_EQ(m.page_size, 4096u);
  EXPECT_EQ(m.root, root);
  EXPECT_EQ(m.pgid, 3u);
  EXPECT_TRUE(ValidateMeta(m, raw).ok());
  file[kPageHeaderSize + 20] ^= 1;  // inside the checksummed bytes
  raw = B(file).subspan(kPageHeaderSize, kMetaSize);
  EXPECT_EQ(ValidateMeta(DecodeMeta(raw), raw).message(), "checksum error");
  Meta bad = m;
  bad.version = 1;
  EXPECT_EQ(ValidateMeta(bad, raw).message(), "version mismatch");
  bad.magic = 0;
  EXPECT_EQ(ValidateMeta(bad, raw).message(), "invalid database");
}

TEST(FormatTest, BucketHeaderInlineAndNot) {
  auto v = testing::TestDb::BucketValue(7);
  Result<BucketHeader> h = DecodeBucketHeader(B(v));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->root, 7u);
  EXPECT_TRUE(h->inline_page.empty());
  auto inl = testing::TestDb::InlineBucket({{"a", "b"}});
  h = DecodeBucketHeader(B(inl));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->root, 0u);
  EXPECT_EQ(h->inline_page.size(), inl.size() - 16);
  EXPECT_FALSE(DecodeBucketHeader(B(std::string(15, '\0'))).ok());
  EXPECT_FALSE(DecodeBucketHeader(B(std::string(20, '\0'))).ok());  // inline, no page header
}

}  // namespace
}  // namespace etcdsnap::bolt
