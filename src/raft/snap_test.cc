#include "etcdsnap/raft/snap.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"
#include "test_util.h"

namespace etcdsnap::raft {
namespace {

TEST(SnapTest, FileName) {
  EXPECT_EQ(SnapFileName(1, 3), "0000000000000001-0000000000000003.snap");
}

TEST(SnapTest, DecodesAndReencodesEtcdsFilesByteForByte) {
  for (const char* name : {"default-restore.snap", "m2-restore.snap"}) {
    const std::string file = ReadTestData(name);
    auto snap = DecodeSnapFileContent(file);
    ASSERT_TRUE(snap.ok()) << name << ": " << snap.status().message();
    EXPECT_EQ(snap->metadata.term, 1u);
    EXPECT_EQ(EncodeSnapFile(*snap), file) << name;
  }
}

TEST(SnapTest, CrcIsOverTheRaftSnapshotAlone) {
  // default-restore.snap begins 08 b6f8818f01: crc 0x23c07c36 of the marshalled raftpb.Snapshot.
  EXPECT_EQ(Hex(ReadTestData("default-restore.snap").substr(0, 6)), "08b6f8818f01");
  std::string file = ReadTestData("default-restore.snap");
  file[100] ^= 1;
  auto snap = DecodeSnapFileContent(file);
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.status().message(), "snap file crc mismatch");
  EXPECT_EQ(DecodeSnapFileContent(Encode(SnapFile{0, std::nullopt})).status().message(),
            "snap file holds no snapshot");
}

class SnapFileTest : public testing::TempDirTest {};

TEST_F(SnapFileTest, WritesTermIndexFile) {
  Snapshot s{std::string("{}"), SnapshotMetadata{ConfState{{1}, {}, {}, {}, false}, 3, 1}};
  ASSERT_TRUE(WriteSnapFile(dir_.string(), s).ok());
  const auto path = dir_ / "0000000000000001-0000000000000003.snap";
  EXPECT_EQ(Read(path), EncodeSnapFile(s));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A second write refuses to replace it.
  EXPECT_EQ(WriteSnapFile(dir_.string(), s).code(), Code::kInvalidArgument);
}

TEST_F(SnapFileTest, RefusesAnEmptySnapshot) {
  Snapshot s;
  EXPECT_EQ(WriteSnapFile(dir_.string(), s).code(), Code::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

}  // namespace
}  // namespace etcdsnap::raft
