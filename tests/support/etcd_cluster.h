// Real etcd servers for integration tests: EtcdServer is one member process, EtcdCluster starts
// 1 or 3 of them on free loopback ports with their data in a temp dir, waits until every member
// serves a linearizable read, and kills everything (and removes the data) when it goes away.
// Client URLs are https with client-certificate auth (or plain http when asked); peers talk plain
// http on loopback. Each member's output goes to <dir>/<name>.log; the tails are printed when the
// test that owns the cluster has failed. Not thread-safe.
#ifndef ETCDSNAP_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define ETCDSNAP_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pki.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_client.h"

namespace etcdsnap::testing {

class EtcdServer;

struct EtcdOptions {
  int members = 1;
  // https + --client-cert-auth with the Pki given to the cluster; plain http when false.
  bool tls = true;
  int64_t quota_backend_bytes = 0;  // 0 = etcd's default
  int64_t max_request_bytes = 0;    // 0 = etcd's default
  int max_txn_ops = 0;              // 0 = etcd's default
  std::chrono::seconds ready_timeout{40};
  // Called for every member before it starts (again after a retry picked new ports), with the
  // cluster's --initial-cluster and token: fills the member's DataDir() (a restore) or makes
  // whatever else the member needs. A failure fails Start().
  std::function<::testing::AssertionResult(const EtcdServer& member,
                                           const std::string& initial_cluster,
                                           const std::string& token)>
      prepare;
  // More arguments for a member's etcd command line (e.g. --wal-dir).
  std::function<std::vector<std::string>(const EtcdServer& member)> extra_args;
};

// A free TCP port on 127.0.0.1 (bound to port 0 and released): for a server that is about to
// listen on it. Not for "nothing listens here": another test's server may take it meanwhile;
// use RefusedPort for that.
int FreeLoopbackPort();

// A loopback TCP port where connections are refused for as long as this object lives: bound,
// so that no other process (a parallel test's etcd included, SO_REUSEADDR or not) can take it,
// but not listening, so every connect gets a reset.
class RefusedPort {
 public:
  RefusedPort();  // aborts the test binary if it cannot bind
  ~RefusedPort();
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;
  int port() const { return port_; }
  std::string Endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback TCP listener that never accepts: connections complete (the kernel queues them)
// but no byte ever comes back, like a frozen server or a black-holing proxy.
class SilentListener {
 public:
  SilentListener();  // aborts the test binary if it cannot listen
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }
  std::string Endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits until a connection sits in the accept queue (a client is connecting): true if one
  // does within `timeout`.
  bool WaitForPendingConnection(std::chrono::milliseconds timeout) const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

// The etcd binary: $ETCDSNAP_ETCD, else `etcd` in PATH; "" when absent.
std::string EtcdBinary();

class EtcdServer {
 public:
  EtcdServer(std::string name, std::string dir, bool tls);
  const std::string& name() const { return name_; }
  int client_port() const { return client_port_; }
  int peer_port() const { return peer_port_; }
  // "127.0.0.1:port", and the same with the scheme the server speaks.
  std::string Endpoint() const;
  std::string ClientUrl() const;
  std::string PeerUrl() const;
  std::string DataDir() const { return dir_ + "/" + name_ + ".etcd"; }
  std::string LogPath() const { return dir_ + "/" + name_ + ".log"; }
  bool running();

  // Starts the process (does not wait for readiness).
  void Start(const std::vector<std::string>& argv);
  void Kill();  // SIGKILL
  void Stop();  // SIGTERM, then SIGKILL after 10 s
  // SIGSTOP / SIGCONT: a frozen server keeps its sockets open but never answers.
  void Pause();
  void Resume();
  // Picks new ports and wipes the data dir (after a failed start).
  void Reset();

 private:
  std::string name_;
  std::string dir_;
  bool tls_;
  int client_port_;
  int peer_port_;
  std::unique_ptr<Subprocess> process_;
};

class EtcdCluster {
 public:
  // `pki` must outlive the cluster; it may be null when options.tls is false.
  EtcdCluster(const EtcdOptions& options, const Pki* pki);
  ~EtcdCluster();  // kills every member; prints log tails if the current test failed
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Starts every member and waits until each one serves a linearizable Range. Retries with new
  // ports when a member dies during startup (a port taken in between).
  ::testing::AssertionResult Start();

  int size() const { return static_cast<int>(members_.size()); }
  EtcdServer& member(int i) { return *members_.at(i); }
  // Starts member i again with the command line it was started with (after its Stop() or
  // Kill(); its data dir, and so its identity, is kept) and waits until it serves a
  // linearizable Range.
  ::testing::AssertionResult RestartMember(int i);

  // ClientUrl() of every member, comma-separated (for --endpoints).
  std::string Endpoints() const;
  // A test client on member i with the cluster's credentials.
  EtcdTestClient Client(int i = 0) const;
  const std::string& dir() const { return dir_.path(); }
  // "<name> log tail:\n..." for every member.
  std::string LogTails(int lines = 30) const;

 private:
  ::testing::AssertionResult StartOnce();
  std::vector<std::string> MemberArgv(const EtcdServer& m, const std::string& initial_cluster,
                                      const std::string& token) const;
  ::testing::AssertionResult WaitReady();

  EtcdOptions options_;
  std::string initial_cluster_, token_;  // of the last start
  const Pki* pki_;
  TempDir dir_{"etcdsnap-etcd"};
  std::vector<std::unique_ptr<EtcdServer>> members_;
};

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_ETCD_CLUSTER_H_
