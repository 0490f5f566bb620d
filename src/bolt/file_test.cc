#include "etcdsnap/bolt/file.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

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
  Result<std::unique_ptr<File>> OpenBytes(const std::string& bytes) {
    testing::TestDb::WriteFile(path_, bytes);
    return File::Open(path_);
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

}  // namespace
}  // namespace etcdsnap::bolt
