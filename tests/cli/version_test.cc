// `etcdsnap version` and `--version`: etcdctl's two lines first, unchanged (scripts parse them),
// then the commit and the libraries loaded at run time; and src/cli/git_sha.cmake, which reads
// the commit at build time, on throwaway repositories.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <sstream>
#include <vector>

#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// git with `args`, in `dir`; stdout without its final newline. Fails the test on an error.
std::string Git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir, "-c", "commit.gpgsign=false"};
  SubprocessOptions options;
  for (const char* who : {"AUTHOR", "COMMITTER"}) {
    options.env[std::string("GIT_") + who + "_NAME"] = "t";
    options.env[std::string("GIT_") + who + "_EMAIL"] = "t@example.com";
  }
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult r = RunCommand(argv, options, seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return TrimNewline(r.out);
}

class VersionTest : public ::testing::Test {
 protected:
  CommandResult Version(const std::string& form) {
    return RunCommand({EtcdsnapBinary(), form}, {}, seconds(30));
  }
};

TEST_F(VersionTest, EtcdctlsTwoLinesThenCommitAndLibraries) {
  for (const char* form : {"version", "--version"}) {
    SCOPED_TRACE(form);
    const CommandResult r = Version(form);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.err, "");
    const std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 5u) << r.out;
    EXPECT_EQ(lines[0], "etcdsnap version: " ETCDSNAP_VERSION);
    EXPECT_EQ(lines[1], "API version: 3.4");
    EXPECT_EQ(lines[2].rfind("Git SHA: ", 0), 0u) << lines[2];
    // The libraries this test process loaded are the ones the binary loads (same system).
    EXPECT_EQ(lines[3], "gRPC version: " + grpc::Version());
    EXPECT_EQ(lines[4], std::string("OpenSSL version: ") + OpenSSL_version(OPENSSL_VERSION));
  }
}

// Built from this repository's work tree: the SHA is HEAD's, "-dirty" or not. A tree that is not
// a git checkout (a tarball) says "unknown".
TEST_F(VersionTest, GitShaIsTheCommitTheBinaryWasBuiltFrom) {
  ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("git").empty(), "git is needed (scripts/deps.sh)");
  const CommandResult r = Version("version");
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  std::string sha = lines[2].substr(std::string("Git SHA: ").size());
  const CommandResult top = RunCommand(
      {"git", "-C", ETCDSNAP_SOURCE_DIR, "rev-parse", "--show-toplevel"}, {}, seconds(30));
  if (top.exit_code != 0 ||
      fs::canonical(TrimNewline(top.out)) != fs::canonical(ETCDSNAP_SOURCE_DIR)) {
    EXPECT_EQ(sha, "unknown");
    return;
  }
  if (sha.size() > 6 && sha.substr(sha.size() - 6) == "-dirty") sha.resize(sha.size() - 6);
  const std::string head = Git(ETCDSNAP_SOURCE_DIR, {"rev-parse", "HEAD"});
  EXPECT_GE(sha.size(), 7u) << lines[2];
  EXPECT_EQ(head.rfind(sha, 0), 0u)
      << lines[2] << " is not HEAD (" << head << "): rebuild after a commit";
}

// The build-time script: "unknown" outside a work tree's top (a tarball, even one unpacked in
// another repository), the commit in one, "-dirty" once a tracked file changes, and the header
// left untouched (so nothing recompiles) when nothing changed.
class GitShaScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("git").empty(), "git is needed (scripts/deps.sh)");
  }
  // Runs the script on `source`; the header's #define value.
  std::string Run(const std::string& source) {
    const CommandResult r =
        RunCommand({ETCDSNAP_CMAKE_COMMAND, "-DSOURCE_DIR=" + source, "-DOUTPUT=" + header_, "-P",
                    ETCDSNAP_SOURCE_DIR "/src/cli/git_sha.cmake"},
                   {}, seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    const std::string text = ReadFileOrEmpty(header_);
    const std::string key = "#define ETCDSNAP_GIT_SHA \"";
    const size_t at = text.find(key);
    if (at == std::string::npos) return "(no define in " + text + ")";
    const size_t end = text.find('"', at + key.size());
    return text.substr(at + key.size(), end - at - key.size());
  }
  TempDir dir_{"etcdsnap-gitsha"};
  const std::string repo_ = dir_.Join("repo");
  const std::string header_ = dir_.Join("git_sha.h");
};

TEST_F(GitShaScriptTest, UnknownWithoutARepository) {
  fs::create_directory(dir_.Join("tarball"));
  EXPECT_EQ(Run(dir_.Join("tarball")), "unknown");
}

TEST_F(GitShaScriptTest, CommitThenDirtyAndUnknownInASubdirectory) {
  fs::create_directories(repo_ + "/sub");
  Git(repo_, {"init", "-q"});
  WriteFileOrDie(repo_ + "/a.txt", "a\n");
  WriteFileOrDie(repo_ + "/sub/b.txt", "b\n");
  Git(repo_, {"add", "."});
  Git(repo_, {"commit", "-q", "-m", "one"});
  const std::string short_sha = Git(repo_, {"rev-parse", "--short", "HEAD"});
  EXPECT_EQ(Run(repo_), short_sha);
  // A tarball unpacked inside some other repository is not that repository's commit.
  EXPECT_EQ(Run(repo_ + "/sub"), "unknown");
  EXPECT_EQ(Run(repo_), short_sha);

  // Unchanged: the header is not rewritten (its old mtime stays), so nothing recompiles.
  struct utimbuf old = {.actime = 946684800, .modtime = 946684800};  // 2000-01-01
  ASSERT_EQ(::utime(header_.c_str(), &old), 0);
  EXPECT_EQ(Run(repo_), short_sha);
  struct stat st {};
  ASSERT_EQ(::stat(header_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 946684800);

  // An untracked file is not a change; a modified tracked file is.
  WriteFileOrDie(repo_ + "/new.txt", "n\n");
  EXPECT_EQ(Run(repo_), short_sha);
  WriteFileOrDie(repo_ + "/a.txt", "changed\n");
  EXPECT_EQ(Run(repo_), short_sha + "-dirty");

  // A new commit: a new SHA, whatever tags say.
  Git(repo_, {"tag", "v9.9.9"});
  Git(repo_, {"commit", "-q", "-am", "two"});
  const std::string second = Git(repo_, {"rev-parse", "--short", "HEAD"});
  EXPECT_NE(second, short_sha);
  EXPECT_EQ(Run(repo_), second);
}

}  // namespace
}  // namespace etcdsnap::testing
