#include "etcd_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

namespace etcdsnap::testing {
using Clock = std::chrono::steady_clock;

namespace {

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; sets *port.
int BindLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("binding a loopback port");
    std::abort();
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int FreeLoopbackPort() {
  int port = 0;
  ::close(BindLoopback(&port));
  return port;
}

SilentListener::SilentListener() {
  fd_ = BindLoopback(&port_);
  if (::listen(fd_, 64) != 0) {
    std::perror("listen");
    std::abort();
  }
}

SilentListener::~SilentListener() { ::close(fd_); }

bool SilentListener::WaitForPendingConnection(std::chrono::milliseconds timeout) const {
  pollfd p{fd_, POLLIN, 0};  // a listening socket is readable when a connection is queued
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

RefusedPort::RefusedPort() { fd_ = BindLoopback(&port_); }

RefusedPort::~RefusedPort() { ::close(fd_); }

std::string EtcdBinary() {
  const char* env = std::getenv("ETCDSNAP_ETCD");
  return FindExecutable(env != nullptr && *env != '\0' ? env : "etcd");
}

EtcdServer::EtcdServer(std::string name, std::string dir, bool tls)
    : name_(std::move(name)), dir_(std::move(dir)), tls_(tls) {
  Reset();
}

std::string EtcdServer::Endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }

std::string EtcdServer::ClientUrl() const {
  return std::string(tls_ ? "https://" : "http://") + Endpoint();
}

std::string EtcdServer::PeerUrl() const {
  return "http://127.0.0.1:" + std::to_string(peer_port_);
}

bool EtcdServer::running() { return process_ != nullptr && !process_->Poll(); }

void EtcdServer::Start(const std::vector<std::string>& argv) {
  SubprocessOptions options;
  options.stdout_path = LogPath();
  options.stderr_path = LogPath() + ".stderr";
  process_ = std::make_unique<Subprocess>(argv, options);
}

void EtcdServer::Kill() {
  if (process_ != nullptr) process_->Kill();
}

void EtcdServer::Stop() {
  if (process_ == nullptr) return;
  process_->Signal(SIGTERM);
  if (!process_->WaitFor(std::chrono::seconds(10))) process_->Kill();
}

void EtcdServer::Pause() {
  if (process_ != nullptr) process_->Signal(SIGSTOP);
}

void EtcdServer::Resume() {
  if (process_ != nullptr) process_->Signal(SIGCONT);
}

void EtcdServer::Reset() {
  Kill();
  process_.reset();
  std::error_code ec;
  std::filesystem::remove_all(DataDir(), ec);
  client_port_ = FreeLoopbackPort();
  do {
    peer_port_ = FreeLoopbackPort();
  } while (peer_port_ == client_port_);
}

EtcdCluster::EtcdCluster(const EtcdOptions& options, const Pki* pki)
    : options_(options), pki_(options.tls ? pki : nullptr) {
  for (int i = 0; i < options_.members; ++i) {
    members_.push_back(std::make_unique<EtcdServer>("m" + std::to_string(i), dir_.path(),
                                                    options_.tls));
  }
}

EtcdCluster::~EtcdCluster() {
  if (::testing::Test::HasFailure()) std::fprintf(stderr, "%s", LogTails().c_str());
  for (auto& m : members_) m->Kill();
}

std::string EtcdCluster::Endpoints() const {
  std::string out;
  for (const auto& m : members_) out += (out.empty() ? "" : ",") + m->ClientUrl();
  return out;
}

EtcdTestClient EtcdCluster::Client(int i) const {
  return EtcdTestClient(members_.at(i)->Endpoint(), pki_);
}

std::string EtcdCluster::LogTails(int lines) const {
  std::string out;
  for (const auto& m : members_) {
    // etcd 3.4 logs (capnslog) to stderr.
    out += "---- etcd " + m->name() + " log tail (" + m->LogPath() + ".stderr) ----\n" +
           TailOfFile(m->LogPath() + ".stderr", lines) + "\n";
  }
  return out;
}

std::vector<std::string> EtcdCluster::MemberArgv(const EtcdServer& m,
                                                 const std::string& initial_cluster,
                                                 const std::string& token) const {
  std::vector<std::string> argv = {
      EtcdBinary(),
      "--name", m.name(),
      "--data-dir", m.DataDir(),
      "--listen-client-urls", m.ClientUrl(),
      "--advertise-client-urls", m.ClientUrl(),
      "--listen-peer-urls", m.PeerUrl(),
      "--initial-advertise-peer-urls", m.PeerUrl(),
      "--initial-cluster", initial_cluster,
      "--initial-cluster-token", token,
      "--initial-cluster-state", "new",
      // A loaded 2-core CI machine must not make leadership flap.
      "--heartbeat-interval", "200",
      "--election-timeout", "2000",
  };
  if (options_.tls) {
    argv.insert(argv.end(), {"--cert-file", pki_->server.cert, "--key-file", pki_->server.key,
                             "--trusted-ca-file", pki_->ca.cert, "--client-cert-auth"});
  }
  if (options_.quota_backend_bytes > 0) {
    argv.insert(argv.end(),
                {"--quota-backend-bytes", std::to_string(options_.quota_backend_bytes)});
  }
  if (options_.max_request_bytes > 0) {
    argv.insert(argv.end(), {"--max-request-bytes", std::to_string(options_.max_request_bytes)});
  }
  if (options_.max_txn_ops > 0) {
    argv.insert(argv.end(), {"--max-txn-ops", std::to_string(options_.max_txn_ops)});
  }
  if (options_.extra_args) {
    for (std::string& a : options_.extra_args(m)) argv.push_back(std::move(a));
  }
  return argv;
}

::testing::AssertionResult EtcdCluster::Start() {
  if (EtcdBinary().empty()) {
    return ::testing::AssertionFailure() << "etcd not found in PATH (set ETCDSNAP_ETCD)";
  }
  if (options_.tls && pki_ == nullptr) {
    return ::testing::AssertionFailure() << "a TLS cluster needs a Pki";
  }
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) {
      for (auto& m : members_) m->Reset();
    }
    result = StartOnce();
    if (result) return result;
  }
  return result << "\n" << LogTails();
}

::testing::AssertionResult EtcdCluster::StartOnce() {
  std::string initial_cluster;
  for (const auto& m : members_) {
    initial_cluster += (initial_cluster.empty() ? "" : ",") + m->name() + "=" + m->PeerUrl();
  }
  const std::string token =
      "etcdsnap-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  if (options_.prepare) {
    for (auto& m : members_) {
      ::testing::AssertionResult prepared = options_.prepare(*m, initial_cluster, token);
      if (!prepared) return prepared << " (preparing " << m->name() << ")";
    }
  }
  for (auto& m : members_) m->Start(MemberArgv(*m, initial_cluster, token));
  initial_cluster_ = initial_cluster;
  token_ = token;
  return WaitReady();
}

::testing::AssertionResult EtcdCluster::RestartMember(int i) {
  EtcdServer& m = member(i);
  if (m.running()) return ::testing::AssertionFailure() << "etcd " << m.name() << " still runs";
  m.Start(MemberArgv(m, initial_cluster_, token_));
  return WaitReady();
}

::testing::AssertionResult EtcdCluster::WaitReady() {
  const auto deadline = Clock::now() + options_.ready_timeout;
  std::vector<bool> ready(members_.size(), false);
  std::string last_error;
  while (Clock::now() < deadline) {
    bool all = true;
    for (size_t i = 0; i < members_.size(); ++i) {
      if (ready[i]) continue;
      if (!members_[i]->running()) {
        return ::testing::AssertionFailure() << "etcd " << members_[i]->name()
                                             << " exited during startup";
      }
      int64_t revision = 0;
      const grpc::Status s = Client(static_cast<int>(i)).Revision(&revision);
      ready[i] = s.ok();
      if (!s.ok()) last_error = members_[i]->name() + ": " + s.error_message();
      all = all && ready[i];
    }
    if (all) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ::testing::AssertionFailure() << "etcd not ready after " << options_.ready_timeout.count()
                                       << " s; last error: " << last_error;
}

}  // namespace etcdsnap::testing
