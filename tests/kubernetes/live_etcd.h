// A real etcd 3.4.23 (plaintext, one member) for the Kubernetes-shaped tests, with the few things
// they all do: write and delete keys while counting revisions, save a snapshot with etcdsnap,
// and run etcdsnap. Values are written as given; test_kubernetes.h makes apiserver-shaped ones.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "etcd_cluster.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {

// True when one line of `text` holds every one of `parts`.
inline bool HasLine(const std::string& text, const std::vector<std::string>& parts) {
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    const std::string line = text.substr(at, end - at);
    if (std::all_of(parts.begin(), parts.end(),
                    [&](const std::string& p) { return line.find(p) != std::string::npos; })) {
      return true;
    }
    at = end + 1;
  }
  return false;
}

class LiveEtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty(), "etcd not installed");
    cluster_ = std::make_unique<EtcdCluster>(EtcdOptions{.tls = false}, nullptr);
    ASSERT_TRUE(cluster_->Start());
    endpoint_ = cluster_->member(0).Endpoint();
    ASSERT_TRUE(cluster_->Client().Revision(&rev_).ok());
  }

  // A put at the next revision (rev_ follows it).
  void PutRaw(const std::string& key, const std::string& value, int64_t lease = 0) {
    ASSERT_TRUE(cluster_->Client().Put(key, value, lease).ok()) << key;
    ++rev_;
  }
  // A deletion of a live key, at the next revision.
  void DeleteRaw(const std::string& key) {
    ASSERT_TRUE(cluster_->Client().Delete(key).ok()) << key;
    ++rev_;
  }
  // The server's revision must be the one counted.
  void ExpectRevisionCounted() {
    int64_t server = 0;
    ASSERT_TRUE(cluster_->Client().Revision(&server).ok());
    ASSERT_EQ(server, rev_) << "the test lost count of revisions";
  }

  CommandResult Etcdsnap(std::vector<std::string> args) {
    args.insert(args.begin(), EtcdsnapBinary());
    return RunCommand(args, {}, std::chrono::seconds(60));
  }

  // `etcdsnap snapshot save` of the server into tmp_/<name>.
  std::string Save(const std::string& name, std::vector<std::string> extra = {}) {
    const std::string path = tmp_.Join(name);
    std::vector<std::string> args = {"--endpoints", endpoint_, "snapshot", "save", path};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = Etcdsnap(args);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return path;
  }

  TempDir tmp_{"etcdsnap-k8s-live"};
  std::unique_ptr<EtcdCluster> cluster_;
  std::string endpoint_;
  int64_t rev_ = 0;
};

}  // namespace etcdsnap::testing
