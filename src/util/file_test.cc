#include "etcdsnap/util/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace etcdsnap {
namespace {

namespace fs = std::filesystem;

class PartFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etcdsnap-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

TEST_F(PartFileTest, CommitReplacesTargetWithMode0600) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target) << "old";
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  const uint8_t data[] = {'n', 'e', 'w'};
  ASSERT_TRUE(pf->Append(data).ok());
  EXPECT_EQ(Read(target), "old");
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(Read(target), "new");
  EXPECT_FALSE(fs::exists(target + ".part"));
  struct stat st {};
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PartFileTest, DestructionRemovesPartAndKeepsTarget) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target) << "old";
  {
    auto pf = PartFile::Create(target);
    ASSERT_TRUE(pf.ok());
    const uint8_t data[] = {'x'};
    ASSERT_TRUE(pf->Append(data).ok());
    EXPECT_TRUE(fs::exists(target + ".part"));
  }
  EXPECT_FALSE(fs::exists(target + ".part"));
  EXPECT_EQ(Read(target), "old");
}

TEST_F(PartFileTest, MissingDirectoryIsAClearError) {
  auto pf = PartFile::Create((dir_ / "nope" / "out.db").string());
  ASSERT_FALSE(pf.ok());
  EXPECT_NE(pf.status().message().find("nope"), std::string::npos);
}

TEST_F(PartFileTest, DirectoryTargetIsRefusedBeforeDownloading) {
  auto pf = PartFile::Create(dir_.string());
  ASSERT_FALSE(pf.ok());
  EXPECT_EQ(pf.status().code(), Code::kInvalidArgument);
}

TEST_F(PartFileTest, SecondWriterIsRefusedWhileFirstHoldsThePart) {
  const std::string target = (dir_ / "out.db").string();
  auto first = PartFile::Create(target);
  ASSERT_TRUE(first.ok());
  auto second = PartFile::Create(target);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in progress"), std::string::npos);
  // The refused writer must not have removed the first one's file.
  EXPECT_TRUE(fs::exists(target + ".part"));
  const uint8_t data[] = {'a'};
  ASSERT_TRUE(first->Append(data).ok());
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_EQ(Read(target), "a");
}

TEST_F(PartFileTest, StaleLeftoverPartIsReusedAndTruncated) {
  const std::string target = (dir_ / "out.db").string();
  std::ofstream(target + ".part") << "stale bytes from a killed run";
  auto pf = PartFile::Create(target);
  ASSERT_TRUE(pf.ok()) << pf.status().message();
  const uint8_t data[] = {'o', 'k'};
  ASSERT_TRUE(pf->Append(data).ok());
  ASSERT_TRUE(pf->Commit().ok());
  EXPECT_EQ(Read(target), "ok");
}

TEST_F(PartFileTest, SymlinkAtPartPathIsNotFollowed) {
  const std::string target = (dir_ / "out.db").string();
  const std::string victim = (dir_ / "victim").string();
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, target + ".part");
  auto pf = PartFile::Create(target);
  EXPECT_FALSE(pf.ok());
  EXPECT_EQ(Read(victim), "precious");
}


}  // namespace
}  // namespace etcdsnap
