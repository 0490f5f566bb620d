#include "etcdsnap/raft/wal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"
#include "etcdsnap/util/crc32c.h"
#include "test_util.h"

namespace etcdsnap::raft {
namespace {

TEST(WalTest, FileName) {
  EXPECT_EQ(WalFileName(0, 0), "0000000000000000-0000000000000000.wal");
  EXPECT_EQ(WalFileName(0x1f, 0xabc), "000000000000001f-0000000000000abc.wal");
}

// etcd's own fixture: wal.Create(dir, []byte("somedata")) in etcd 3.7 (TestNew).
TEST(WalTest, CreateHeadEqualsEtcdsTestNewFixture) {
  WalEncoder e;
  e.AppendHead("somedata");
  EXPECT_EQ(Hex(e.bytes()), Hex(ReadTestData("TestNew-3.7-fixture.wal")));
}

TEST(WalTest, FramesArePaddedToEightBytesWithThePadInTheTopByte) {
  WalEncoder e;
  e.Append(RecordType::kCrc, std::nullopt);  // 4 bytes: pad 4
  EXPECT_EQ(Hex(e.bytes()),
            "0400000000000084"
            "08041000"
            "00000000");
  WalEncoder f;
  // 08 01 10 <crc 5 bytes> 1a 16 <22 bytes> = 32 bytes: no pad, top byte 0.
  f.Append(RecordType::kMetadata, std::string(22, 'x'));
  ASSERT_EQ(f.bytes().size(), 40u);
  EXPECT_EQ(Hex(f.bytes().substr(0, 8)), "2000000000000000");
}

TEST(WalTest, CrcIsChainedAcrossRecords) {
  WalEncoder e(7);  // seeded as a later segment would be with the previous one's crc
  e.Append(RecordType::kCrc, std::nullopt);
  e.Append(RecordType::kMetadata, std::string("a"));
  e.Append(RecordType::kEntry, std::string("bc"));
  EXPECT_EQ(e.crc(), crc32c::Extend(crc32c::Extend(7, "a"), "bc"));
  EXPECT_NE(e.crc(), crc32c::Value("bc"));  // not a fresh crc per record
  auto recs = ReadWal(e.bytes(), 7);
  ASSERT_TRUE(recs.ok()) << recs.status().message();
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].crc, 7u);  // the crc record carries the seed
  EXPECT_EQ((*recs)[1].crc, crc32c::Extend(7, "a"));
  EXPECT_EQ((*recs)[2].crc, e.crc());
}

TEST(WalTest, ReadsEtcdsRestoreWals) {
  for (const char* name : {"default-restore-wal-head.bin", "m2-restore-wal-head.bin"}) {
    const std::string seg = ReadTestData(name) + std::string(4096, '\0');
    auto recs = ReadWal(seg);
    ASSERT_TRUE(recs.ok()) << name << ": " << recs.status().message();
    ASSERT_GE(recs->size(), 6u) << name;
    EXPECT_EQ(recs->front().type, static_cast<int64_t>(RecordType::kCrc));
    EXPECT_EQ(recs->back().type, static_cast<int64_t>(RecordType::kSnapshot));
  }
}

TEST(WalTest, ReaderRefusesDamage) {
  const std::string good = ReadTestData("default-restore-wal-head.bin");
  std::string flipped = good;
  flipped[0x80] ^= 1;  // inside the conf-change entry's member JSON
  auto r = ReadWal(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "WAL record at byte 80: crc mismatch");
  // A frame longer than what is left.
  auto cut = ReadWal(good.substr(0, 0x60));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(), "WAL record at byte 80: record of 116 bytes runs past the end");
  // A crc record that does not carry the running crc.
  WalEncoder e;
  e.Append(RecordType::kMetadata, std::string("a"));
  std::string bad = e.bytes();
  WalEncoder other(12345);
  other.Append(RecordType::kCrc, std::nullopt);
  bad += other.bytes();
  auto r2 = ReadWal(bad);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().message(),
            "WAL record at byte 24: crc record does not carry the running crc");
  // Reserved length bits.
  auto r3 =
      ReadWal(std::string("\x04\0\0\0\0\0\0\x04"
                          "\x08\x04\x10\0",
                          12));
  EXPECT_EQ(r3.status().code(), Code::kCorruption);
}

class WalFileTest : public testing::TempDirTest {};

TEST_F(WalFileTest, SegmentIsPreallocatedWithTheRecordsFirst) {
  WalEncoder e;
  e.AppendHead("somedata");
  const std::string path = (dir_ / WalFileName(0, 0)).string();
  ASSERT_TRUE(WriteWalSegment(path, e.bytes()).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kWalSegmentSizeBytes);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string content = Read(path);
  ASSERT_EQ(content.size(), kWalSegmentSizeBytes);
  EXPECT_EQ(content.substr(0, e.bytes().size()), e.bytes());
  EXPECT_EQ(content.find_first_not_of('\0', e.bytes().size()), std::string::npos);
  auto recs = ReadWal(content);
  ASSERT_TRUE(recs.ok()) << recs.status().message();
  EXPECT_EQ(recs->size(), 3u);
}

TEST_F(WalFileTest, RefusesAnExistingFileAndLeavesIt) {
  const std::string path = (dir_ / "x.wal").string();
  { std::ofstream(path) << "keep"; }
  Status st = WriteWalSegment(path, "abc");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), path + " already exists; it was left untouched");
  EXPECT_EQ(Read(path), "keep");
}

TEST_F(WalFileTest, RefusesRecordsLargerThanASegment) {
  const std::string path = (dir_ / "x.wal").string();
  EXPECT_EQ(WriteWalSegment(path, std::string(kWalSegmentSizeBytes + 1, 'a')).code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(WalFileTest, NamesTheFileWhenTheDirectoryIsMissing) {
  const std::string path = (dir_ / "nope" / "x.wal").string();
  Status st = WriteWalSegment(path, "abc");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "create " + path + ": No such file or directory");
}

}  // namespace
}  // namespace etcdsnap::raft
