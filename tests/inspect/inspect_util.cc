#include "inspect_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace etcdsnap::inspect_test {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Spawns argv with stdout/stderr to the given files (or /dev/null); returns the pid or -1.
int Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

}  // namespace

std::string Etcdsnap() { return std::string(ETCDSNAP_BINARY_DIR) + "/etcdsnap"; }

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(std::string(path ? path : "") + ":/usr/bin:/usr/local/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

RunResult RunProgram(const std::vector<std::string>& argv, int timeout_seconds) {
  RunResult r;
  TempDir io;
  const int pid = Spawn(argv, io.Join("out"), io.Join("err"));
  if (pid < 0) {
    r.err = "cannot start " + argv[0];
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!r.timed_out) {
    if (WIFSIGNALED(status)) {
      r.signaled = true;
      r.signal = WTERMSIG(status);
    } else {
      r.exit_code = WEXITSTATUS(status);
    }
  }
  r.out = ReadFile(io.Join("out"));
  r.err = ReadFile(io.Join("err"));
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

PlainEtcd::PlainEtcd() = default;

PlainEtcd::~PlainEtcd() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status;
    for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
}

bool PlainEtcd::Start(std::string* why) {
  const std::string etcd = FindProgram("etcd");
  if (etcd.empty()) {
    *why = "etcd not installed";
    return false;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string client = "http://127.0.0.1:" + std::to_string(FreePort());
    const std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
    endpoint_ = client;
    pid_ =
        Spawn({etcd, "--name", "default", "--data-dir", dir_.Join("data"), "--listen-client-urls",
               client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
               "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer,
               "--max-txn-ops", "10000", "--quota-backend-bytes", "1073741824"},
              dir_.Join("etcd.out"), dir_.Join("etcd.log"));
    if (pid_ < 0) {
      *why = "cannot start etcd";
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      if (Ctl({"endpoint", "health"}, 5).exit_code == 0) return true;
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) break;  // died: port taken? retry
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  *why = "etcd did not become healthy: " + ReadFile(dir_.Join("etcd.log")).substr(0, 2000);
  return false;
}

RunResult PlainEtcd::Ctl(std::vector<std::string> args, int timeout_seconds) {
  std::vector<std::string> argv = {FindProgram("etcdctl"), "--endpoints", endpoint_};
  if (!user_.empty()) argv.push_back("--user=" + user_);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, timeout_seconds);
}

std::string PlainEtcd::MustCtl(std::vector<std::string> args) {
  RunResult r = Ctl(args);
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
