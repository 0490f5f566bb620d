#include "inspect_util.h"

#include <gtest/gtest.h>

#include <regex>

namespace etcdsnap::inspect_test {

PlainEtcd::PlainEtcd() = default;

PlainEtcd::~PlainEtcd() = default;  // the cluster kills etcd and removes its data

bool PlainEtcd::Start(std::string* why) {
  ::etcdsnap::testing::EtcdOptions options;
  options.tls = false;
  options.max_txn_ops = 10000;
  options.quota_backend_bytes = int64_t{1} << 30;
  cluster_ = std::make_unique<::etcdsnap::testing::EtcdCluster>(options, nullptr);
  const ::testing::AssertionResult started = cluster_->Start();
  if (!started) {
    *why = started.message();
    cluster_.reset();
    return false;
  }
  endpoint_ = cluster_->member(0).ClientUrl();
  return true;
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
