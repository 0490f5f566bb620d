// Helpers for the status/verify black-box tests: a throwaway plaintext etcd on loopback filled
// with etcdctl. Processes, temp directories and files come from the shared harness in
// tests/support.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd_cluster.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::inspect_test {

using ::etcdsnap::testing::CommandResult;
using ::etcdsnap::testing::EtcdsnapBinary;
using ::etcdsnap::testing::FindExecutable;
using ::etcdsnap::testing::ReadFileOrEmpty;
using ::etcdsnap::testing::TempDir;
using ::etcdsnap::testing::WriteFileOrDie;

// Runs a program (looked up in PATH) with stdin from /dev/null and a hard timeout, through the
// shared harness in tests/support.
inline CommandResult RunProgram(const std::vector<std::string>& argv, int timeout_seconds = 60) {
  return ::etcdsnap::testing::RunCommand(argv, {}, std::chrono::seconds(timeout_seconds));
}

// A single-member plaintext etcd (tests/support's EtcdCluster) driven with etcdctl, killed and
// removed on destruction.
class PlainEtcd {
 public:
  PlainEtcd();
  ~PlainEtcd();
  PlainEtcd(const PlainEtcd&) = delete;
  PlainEtcd& operator=(const PlainEtcd&) = delete;

  // Starts the server and waits until it answers; false (with `why`) on failure.
  bool Start(std::string* why);
  // Runs etcdctl against this server (with --user when set).
  CommandResult Ctl(std::vector<std::string> args, int timeout_seconds = 60);
  // etcdctl with the arguments and asserts exit 0 (returns stdout).
  std::string MustCtl(std::vector<std::string> args);
  // The server's current revision.
  long long Revision();
  void set_user(const std::string& user) { user_ = user; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  std::unique_ptr<::etcdsnap::testing::EtcdCluster> cluster_;
  std::string endpoint_;
  std::string user_;
};

}  // namespace etcdsnap::inspect_test
