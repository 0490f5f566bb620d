#include "inspect_util.h"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "etcd_cluster.h"

namespace etcdsnap::inspect_test {

using ::etcdsnap::testing::FreeLoopbackPort;

PlainEtcd::PlainEtcd() = default;

PlainEtcd::~PlainEtcd() = default;  // the Subprocess kills etcd; dir_ removes its data

bool PlainEtcd::Start(std::string* why) {
  const std::string etcd = FindExecutable("etcd");
  if (etcd.empty()) {
    *why = "etcd not installed";
    return false;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string client = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
    const std::string peer = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
    endpoint_ = client;
    ::etcdsnap::testing::SubprocessOptions io;
    io.stdout_path = dir_.Join("etcd.out");
    io.stderr_path = dir_.Join("etcd.log");
    etcd_ = std::make_unique<::etcdsnap::testing::Subprocess>(
        std::vector<std::string>{etcd, "--name", "default", "--data-dir", dir_.Join("data"),
                                 "--listen-client-urls", client, "--advertise-client-urls",
                                 client, "--listen-peer-urls", peer,
                                 "--initial-advertise-peer-urls", peer, "--initial-cluster",
                                 "default=" + peer, "--max-txn-ops", "10000",
                                 "--quota-backend-bytes", "1073741824"},
        io);
    for (int i = 0; i < 100; ++i) {
      if (Ctl({"endpoint", "health"}, 5).exit_code == 0) return true;
      if (etcd_->Poll()) break;  // died: port taken? retry
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    etcd_.reset();
  }
  *why = "etcd did not become healthy: " + ReadFileOrEmpty(dir_.Join("etcd.log")).substr(0, 2000);
  return false;
}

CommandResult PlainEtcd::Ctl(std::vector<std::string> args, int timeout_seconds) {
  std::vector<std::string> argv = {FindExecutable("etcdctl"), "--endpoints", endpoint_};
  if (!user_.empty()) argv.push_back("--user=" + user_);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, timeout_seconds);
}

std::string PlainEtcd::MustCtl(std::vector<std::string> args) {
  CommandResult r = Ctl(args);
  EXPECT_EQ(r.exit_code, 0) << "etcdctl " << args[0] << ": " << r.err;
  return r.out;
}

long long PlainEtcd::Revision() {
  const std::string out = MustCtl({"get", "-w", "json", "x"});
  std::smatch m;
  static const std::regex kRev("\"revision\":(\\d+)");
  return std::regex_search(out, m, kRev) ? std::stoll(m[1]) : -1;
}

}  // namespace etcdsnap::inspect_test
