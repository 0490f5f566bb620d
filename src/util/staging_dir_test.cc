#include "etcdsnap/util/staging_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace etcdsnap {
namespace {

namespace fs = std::filesystem;

class StagingDirTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    testing::TempDirTest::SetUp();
    target_ = (dir_ / "data").string();
  }
  // A small data dir in `root`: member/snap/db and member/wal/0.wal.
  static void Fill(const fs::path& root) {
    fs::create_directories(root / "member" / "snap");
    fs::create_directories(root / "member" / "wal");
    std::ofstream(root / "member" / "snap" / "db") << "db";
    std::ofstream(root / "member" / "wal" / "0.wal") << "wal";
  }
  std::string target_;
};

TEST_F(StagingDirTest, CommitMovesTheWholeTreeOntoTheTarget) {
  auto s = StagingDir::Create(target_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->path(), target_ + ".part");
  struct stat st {};
  ASSERT_EQ(::stat(s->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  Fill(s->path());
  EXPECT_FALSE(fs::exists(target_));
  ASSERT_TRUE(s->Commit().ok());
  EXPECT_EQ(Read(fs::path(target_) / "member" / "snap" / "db"), "db");
  EXPECT_EQ(Read(fs::path(target_) / "member" / "wal" / "0.wal"), "wal");
  EXPECT_FALSE(fs::exists(target_ + ".part"));
}

TEST_F(StagingDirTest, DestructionRemovesEverythingWithoutFollowingLinks) {
  const fs::path outside = dir_ / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "keep") << "keep";
  {
    auto s = StagingDir::Create(target_);
    ASSERT_TRUE(s.ok());
    Fill(s->path());
    fs::create_directory_symlink(outside, fs::path(s->path()) / "member" / "link-to-dir");
    fs::create_symlink(outside / "keep", fs::path(s->path()) / "link-to-file");
  }
  EXPECT_FALSE(fs::exists(target_ + ".part"));
  EXPECT_FALSE(fs::exists(target_));
  EXPECT_EQ(Read(outside / "keep"), "keep");
}

TEST_F(StagingDirTest, RevertRemovesTheCommittedTreeAndNothingElse) {
  fs::create_directories(dir_ / "neighbour");
  auto s = StagingDir::Create(target_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Fill(s->path());
  ASSERT_TRUE(s->Commit().ok());
  ASSERT_TRUE(fs::exists(fs::path(target_) / "member" / "snap" / "db"));
  s->Revert();
  EXPECT_FALSE(fs::exists(target_));
  EXPECT_FALSE(fs::exists(target_ + ".part"));
  EXPECT_TRUE(fs::exists(dir_ / "neighbour"));
  s->Revert();  // a second call does nothing
  EXPECT_TRUE(fs::exists(dir_ / "neighbour"));
}

TEST_F(StagingDirTest, RevertLeavesADirectoryThatReplacedTheCommittedOne) {
  auto s = StagingDir::Create(target_);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Fill(s->path());
  ASSERT_TRUE(s->Commit().ok());
  // Another process moves ours away and puts its own directory at the name.
  fs::rename(target_, (dir_ / "moved").string());
  fs::create_directories(fs::path(target_) / "theirs");
  s->Revert();
  EXPECT_TRUE(fs::exists(fs::path(target_) / "theirs"));
  // Ours was emptied through its descriptor, wherever it went.
  EXPECT_FALSE(fs::exists(dir_ / "moved" / "member"));
}

TEST_F(StagingDirTest, AbandonThenCommitIsAnError) {
  auto s = StagingDir::Create(target_);
  ASSERT_TRUE(s.ok());
  s->Abandon();
  EXPECT_FALSE(fs::exists(target_ + ".part"));
  EXPECT_FALSE(s->Commit().ok());
  EXPECT_FALSE(fs::exists(target_));
}

// As etcd's restore: an existing data dir is refused, even an empty one, and left alone.
TEST_F(StagingDirTest, ExistingTargetIsRefusedAndLeftAlone) {
  fs::create_directory(target_);
  auto s = StagingDir::Create(target_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind(target_ + " exists", 0), 0u) << s.status().message();
  EXPECT_FALSE(fs::exists(target_ + ".part"));
  fs::remove(target_);
  std::ofstream(target_) << "a file";
  EXPECT_FALSE(StagingDir::Create(target_).ok());
  EXPECT_EQ(Read(target_), "a file");
}

TEST_F(StagingDirTest, TargetCreatedDuringTheRestoreIsNotReplaced) {
  auto s = StagingDir::Create(target_ + "/");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->path(), target_ + ".part");
  Fill(s->path());
  fs::create_directory(target_);  // empty: rename(2) alone would replace it
  const Status c = s->Commit();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("was created by another process"), std::string::npos) << c.message();
  EXPECT_TRUE(fs::is_empty(target_));
  s->Abandon();
  EXPECT_FALSE(fs::exists(target_ + ".part"));
}

// A leftover from a crash (or a restore still running) is not ours: refused, named, kept.
TEST_F(StagingDirTest, LeftoverStagingDirIsRefusedAndKept) {
  Fill(target_ + ".part");
  auto s = StagingDir::Create(target_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            target_ + ".part exists (left by an interrupted restore, or another restore to " +
                target_ + " is running); remove it and try again");
  EXPECT_EQ(Read(fs::path(target_ + ".part") / "member" / "snap" / "db"), "db");
}

// If someone moves our staging dir away and puts another at its path, abandoning removes only
// our directory's contents and never touches the stranger.
TEST_F(StagingDirTest, ReplacedStagingPathIsNotRemoved) {
  auto s = StagingDir::Create(target_);
  ASSERT_TRUE(s.ok());
  std::ofstream(fs::path(s->path()) / "ours") << "x";
  const fs::path moved = dir_ / "moved";
  fs::rename(s->path(), moved);
  Fill(s->path());
  EXPECT_FALSE(s->Commit().ok());
  s->Abandon();
  EXPECT_EQ(Read(fs::path(target_ + ".part") / "member" / "snap" / "db"), "db");
  EXPECT_FALSE(fs::exists(moved / "ours"));
  EXPECT_FALSE(fs::exists(target_));
}

TEST_F(StagingDirTest, MissingParentIsAClearError) {
  auto s = StagingDir::Create((dir_ / "nope" / "data").string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("nope"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace etcdsnap
