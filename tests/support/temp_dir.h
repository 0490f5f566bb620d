// TempDir: a throwaway directory for one test, removed with everything in it when the owner goes
// out of scope. Not thread-safe; one owner.
#ifndef ETCDSNAP_TESTS_SUPPORT_TEMP_DIR_H_
#define ETCDSNAP_TESTS_SUPPORT_TEMP_DIR_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace etcdsnap::testing {

class TempDir {
 public:
  // Creates a fresh directory under $TMPDIR (or /tmp) whose name starts with `prefix`.
  explicit TempDir(const std::string& prefix = "etcdsnap-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A fixture for tests that touch files: dir_ is a fresh directory per test, removed after it.
class TempDirTest : public ::testing::Test {
 protected:
  static std::string Read(const std::filesystem::path& p);
  TempDir tmp_;
  const std::filesystem::path dir_{tmp_.path()};
};

// Whole content of a file; "" if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);
// Writes `content` to `path`, replacing it; aborts the test binary on failure.
void WriteFileOrDie(const std::string& path, const std::string& content);
bool PathExists(const std::string& path);
// Size in bytes, or -1 when the file does not exist.
long long FileSize(const std::string& path);
// The last `lines` lines of a file, for failure diagnostics.
std::string TailOfFile(const std::string& path, int lines);

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_TEMP_DIR_H_
