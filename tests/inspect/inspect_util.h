// Helpers for the status/verify black-box tests: run a program with a hard timeout, temp
// directories, file bytes, and a throwaway plaintext etcd on loopback filled with etcdctl.
// Temp directories come from tests/support; the rest stays here, independent of its TLS harness.
#pragma once

#include <string>
#include <vector>

#include "temp_dir.h"

namespace etcdsnap::inspect_test {

struct RunResult {
  int exit_code = -1;  // valid when !signaled && !timed_out
  bool signaled = false;
  int signal = 0;
  bool timed_out = false;
  std::string out, err;
};

// Runs argv[0] (searched in PATH) with argv, stdin from /dev/null, capturing stdout/stderr.
RunResult RunProgram(const std::vector<std::string>& argv, int timeout_seconds = 60);

// The etcdsnap binary under test.
std::string Etcdsnap();
// Path of a program in PATH or /usr/bin, or "" when absent.
std::string FindProgram(const std::string& name);

// A directory under /tmp removed (recursively) on destruction: the shared test-support one.
using TempDir = ::etcdsnap::testing::TempDir;

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);

// A single-member plaintext etcd on free loopback ports, killed and removed on destruction.
class PlainEtcd {
 public:
  PlainEtcd();
  ~PlainEtcd();
  PlainEtcd(const PlainEtcd&) = delete;
  PlainEtcd& operator=(const PlainEtcd&) = delete;

  // Starts the server and waits until it answers; false (with `why`) on failure.
  bool Start(std::string* why);
  // Runs etcdctl against this server (with --user when set).
  RunResult Ctl(std::vector<std::string> args, int timeout_seconds = 60);
  // etcdctl with the arguments and asserts exit 0 (returns stdout).
  std::string MustCtl(std::vector<std::string> args);
  // The server's current revision.
  long long Revision();
  void set_user(const std::string& user) { user_ = user; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  TempDir dir_;
  std::string endpoint_;
  std::string user_;
  int pid_ = -1;
};

}  // namespace etcdsnap::inspect_test
