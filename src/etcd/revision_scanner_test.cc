#include "etcdsnap/etcd/revision_scanner.h"

#include <gtest/gtest.h>

#include <string>

#include "temp_dir.h"

namespace etcdsnap::etcd {
namespace {

std::string TestData(const std::string& name) {
  return etcdsnap::testing::ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/" + name);
}

int64_t Scan(const std::string& bytes, size_t chunk) {
  RevisionScanner s;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    const size_t n = std::min(chunk, bytes.size() - at);
    s.Add({reinterpret_cast<const uint8_t*>(bytes.data()) + at, n});
  }
  return s.latest();
}

// The files' revisions, as `snapshot status` reports them, whatever the chunking.
TEST(RevisionScannerTest, FindsTheLatestRevisionOfRealSnapshots) {
  struct Case {
    const char* file;
    int64_t revision;
  };
  for (const Case& c : {Case{"s1.db", 6}, Case{"default-restore-db", 6},
                        Case{"etcd-branches.db", 155}}) {
    const std::string bytes = TestData(c.file);
    ASSERT_FALSE(bytes.empty()) << c.file;
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}, size_t{32768}, bytes.size()}) {
      EXPECT_EQ(Scan(bytes, chunk), c.revision) << c.file << " in chunks of " << chunk;
    }
  }
}

TEST(RevisionScannerTest, NotBboltGivesZero) {
  EXPECT_EQ(Scan(std::string(100000, 'x'), 4096), 0);
  EXPECT_EQ(Scan("", 1), 0);
  EXPECT_EQ(Scan(TestData("s1.db").substr(0, 20), 1), 0);
}

// Only entries that are `key` bucket entries count: a revision-shaped key whose value is not
// a KeyValue (an auth user named "abcdefgh_ijklmnop" would read as revision 0x6162636465666768)
// is ignored. Here the latest entry of s1.db (revision 6) loses its shape, and the scanner falls
// back to an earlier revision.
TEST(RevisionScannerTest, OnlyKeyBucketEntriesCount) {
  std::string bytes = TestData("s1.db");
  const std::string rev6 = std::string("\0\0\0\0\0\0\0\x06_\0\0\0\0\0\0\0\0", 17);
  const size_t at = bytes.find(rev6);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(Scan(bytes, 4096), 6);
  bytes[at + 17] = '\xff';  // the byte after the 17: the deletion mark 't' or the value's tag
  EXPECT_LT(Scan(bytes, 4096), 6);
}

// Review (issue #12): a free page that was the middle of an old overflow run holds stale value
// bytes where a header would be. bbolt leaves such pages behind whenever it allocates the first
// pages of a freed run (both freelists allocate from the start of a span) and the rest stays
// free. Here page 9 (a leaf with 2 overflow pages) is taken over as a 1-page page, so pages 10
// and 11 are left with the old value's bytes; the scanner reads them as a header whose
// "overflow" is text and skips the rest of the file, missing revisions 153..155 in pages 12-17.
TEST(RevisionScannerTest, AStaleContinuationPageDoesNotHideTheRestOfTheFile) {
  std::string bytes = TestData("etcd-branches.db");
  ASSERT_EQ(bytes.size(), 29u * 4096 + 32);
  ASSERT_EQ(Scan(bytes, 32768), 155);
  ASSERT_EQ(static_cast<uint8_t>(bytes[9 * 4096 + 12]), 2u);  // page 9: overflow 2
  bytes[9 * 4096 + 12] = 0;  // reallocated as one page; 10 and 11 are free, stale
  EXPECT_EQ(Scan(bytes, 32768), 155);
}

}  // namespace
}  // namespace etcdsnap::etcd
