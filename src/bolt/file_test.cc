#include "etcdsnap/bolt/file.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "etcdsnap/bolt/check.h"
#include "test_db.h"

namespace etcdsnap::bolt {
namespace {

class FileTest : public ::testing::Test {
 protected:
  std::string Simple(uint32_t page_size = 4096) {
    testing::TestDb db(page_size);
    Pgid root = db.AddLeaf({testing::TestDb::Bucket("b", testing::TestDb::InlineBucket({}))});
    return db.Finish(root);
  }
  Result<std::unique_ptr<File>> OpenBytes(const std::string& bytes,
                                          const File::Options& options = {}) {
    testing::TestDb::WriteFile(path_, bytes);
    return File::Open(path_, options);
  }
  // A file of `leaves` leaf pages of one bucket, with ~3 KiB values (and some overflow pages).
  std::string Many(int leaves) {
    testing::TestDb db;
    std::vector<Pgid> pages;
    std::vector<std::pair<std::string, Pgid>> branch;
    for (int i = 0; i < leaves; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "k%08d", i);
      const std::string value(i % 50 == 0 ? 9000 : 3000, static_cast<char>('a' + i % 26));
      branch.push_back({key, db.AddLeaf({{key, value}})});
    }
    const Pgid bucket_root = db.AddBranch(branch);
    return db.Finish(db.AddLeaf({testing::TestDb::Bucket("b", testing::TestDb::BucketValue(bucket_root))}));
  }

  ::etcdsnap::testing::TempDir tmp_{"bolt-file-test"};
  const std::string dir_ = tmp_.path();
  const std::string path_ = dir_ + "/db";
};

TEST_F(FileTest, OpensAValidFile) {
  auto f = OpenBytes(Simple());
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)->page_size(), 4096u);
  EXPECT_EQ((*f)->high_water(), 3u);
  EXPECT_EQ((*f)->db_size(), 3u * 4096);
  EXPECT_EQ((*f)->meta_state().chosen, 0);  // txid 3 on page 0, 2 on page 1
}

TEST_F(FileTest, MissingFileIsNotFound) {
  auto f = File::Open(dir_ + "/nope.db");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kNotFound);
  EXPECT_NE(f.status().message().find("no such file or directory"), std::string::npos);
}

TEST_F(FileTest, DirectoryEmptyAndTinyFilesAreRefused) {
  auto f = File::Open(dir_);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("is a directory"), std::string::npos);
  f = OpenBytes("");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("empty"), std::string::npos);
  f = OpenBytes("hello");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("too small"), std::string::npos);
  f = OpenBytes(std::string(8192, 'x'));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("not a bbolt database"), std::string::npos);
}

TEST_F(FileTest, TruncatedFileIsRefused) {
  std::string bytes = Simple();
  auto f = OpenBytes(bytes.substr(0, bytes.size() - 4096));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("truncated"), std::string::npos) << f.status().message();
  f = OpenBytes(bytes.substr(0, 5000));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("too small"), std::string::npos) << f.status().message();
}

TEST_F(FileTest, TornMeta0FallsBackToMeta1AndProbesItsPageSize) {
  for (uint32_t ps : {4096u, 16384u}) {
    std::string bytes = Simple(ps);
    bytes[16 + 30] ^= 0x5a;  // meta 0 checksum now wrong
    auto f = OpenBytes(bytes);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ((*f)->page_size(), ps);
    EXPECT_EQ((*f)->meta_state().chosen, 1);
    EXPECT_FALSE((*f)->meta_state().valid[0]);
    EXPECT_EQ((*f)->meta_state().error[0], "checksum error");
  }
}

TEST_F(FileTest, BothMetasTornIsAnError) {
  std::string bytes = Simple();
  bytes[16 + 30] ^= 0x5a;
  bytes[4096 + 16 + 30] ^= 0x5a;
  auto f = OpenBytes(bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("invalid"), std::string::npos) << f.status().message();
}

TEST_F(FileTest, BigEndianFileIsNamed) {
  std::string bytes = Simple();
  bytes[16] = '\xed';
  bytes[17] = '\x0c';
  bytes[18] = '\xda';
  bytes[19] = '\xed';
  auto f = OpenBytes(bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("big-endian"), std::string::npos);
}

TEST_F(FileTest, ReadPageChecksIdAndBounds) {
  auto f = OpenBytes(Simple());
  ASSERT_TRUE(f.ok());
  std::vector<uint8_t> buf;
  auto p = (*f)->ReadPage(2, &buf);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->is_leaf());
  EXPECT_EQ(p->count(), 1);
  auto oob = (*f)->ReadPage(3, &buf);
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.status().message(), "page 3: out of bounds: 3");
  auto meta = (*f)->ReadPage(1, &buf);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(PageTypeName(meta->header().flags), "meta");
}

TEST_F(FileTest, HugeOverflowIsRefusedWithoutAllocating) {
  testing::TestDb db;
  Pgid leaf = db.AddLeaf({{"k", "v"}});
  std::string bytes = db.Finish(leaf);
  testing::TestDb::Put32(bytes, leaf * 4096 + 12, 0xFFFFFFF0u);
  auto f = OpenBytes(bytes);
  ASSERT_TRUE(f.ok());
  std::vector<uint8_t> buf;
  auto p = (*f)->ReadPage(leaf, &buf);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("overflow pages run past"), std::string::npos);
  EXPECT_LE(buf.capacity(), 4096u);
}

// A mapped file gives the same page bytes, and the same errors, as one read with pread.
TEST_F(FileTest, MappedPagesAreThePagesPreadReads) {
  const std::string bytes = Many(200);
  auto mapped = OpenBytes(bytes);
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  ASSERT_TRUE((*mapped)->mapped());
  auto read = File::Open(path_, {.map = false});
  ASSERT_TRUE(read.ok());
  ASSERT_FALSE((*read)->mapped());
  std::vector<uint8_t> a, b;
  for (Pgid id = 0; id < (*mapped)->high_water() + 1; ++id) {
    Bytes view, copy;
    Result<PageHeader> m = (*mapped)->PageBytes(id, &a, &view);
    Result<PageHeader> r = (*read)->PageBytes(id, &b, &copy);
    ASSERT_EQ(m.ok(), r.ok()) << id;
    if (!m.ok()) {
      EXPECT_EQ(m.status().message(), r.status().message()) << id;
      continue;
    }
    EXPECT_TRUE(a.empty()) << id;  // in place: nothing copied
    ASSERT_EQ(std::string(view.begin(), view.end()), std::string(copy.begin(), copy.end())) << id;
  }
}

// Resident memory stays flat over a walk of a large mapped file: the page-table entries of what
// was read are dropped every File::kMappedWindow bytes.
TEST_F(FileTest, WalkingAMappedFileKeepsTheResidentSetSmall) {
  const std::string bytes = Many(40000);  // ~160 MiB
  auto f = OpenBytes(bytes);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->mapped());
  auto resident_kib = [] {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
    }
    return 0ull;
  };
  const unsigned long long before = resident_kib();
  uint64_t sum = 0;
  std::vector<uint8_t> scratch;
  for (Pgid id = 2; id < (*f)->high_water(); ++id) {
    Bytes view;
    if (!(*f)->PageBytes(id, &scratch, &view).ok()) continue;  // overflow pages, the root
    for (size_t i = 0; i < view.size(); i += 512) sum += view[i];
  }
  EXPECT_GT(sum, 0u);
  EXPECT_LT(resident_kib() - before, (File::kMappedWindow >> 10) + (16u << 10))
      << "of a " << (bytes.size() >> 20) << " MiB file";
}

// A file cut short after it was opened: the walk reads zeros where pages were, does not crash,
// and Check() says the file changed.
TEST_F(FileTest, AFileThatShrinksUnderTheMappingIsReportedNotACrash) {
  const std::string bytes = Many(300);
  auto f = OpenBytes(bytes);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->mapped());
  ASSERT_EQ(::truncate(path_.c_str(), 8192), 0);
  std::vector<uint8_t> scratch;
  Bytes view;
  Result<PageHeader> h = (*f)->PageBytes(100, &scratch, &view);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "page 100: header says it is page 0");
  EXPECT_TRUE((*f)->changed_while_mapped());
  const CheckResult r = Check(**f, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors.back().find("shrank while it was being read"), std::string::npos)
      << r.errors.back();
}

}  // namespace
}  // namespace etcdsnap::bolt
