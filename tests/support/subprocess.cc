#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "temp_dir.h"

extern char** environ;

namespace etcdsnap::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (IsEtcdVariable(name) || extra.count(name) != 0) {
      continue;
    }
    env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child: dies with the test. A test binary killed by CTest's timeout (or by SIGPIPE, or
// a crash) runs no destructors; without this its etcd servers would outlive it.
void DieWithParent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
}

// The start of every child: its own session, dying with the test, stdin, stdout and stderr from
// the files named, no other descriptor, SIGPIPE as a program expects it. Async-signal-safe calls
// only, writing no memory but its own stack: after a vfork the child borrows the parent's
// address space until it execs or exits.
void StartChild(pid_t parent, const char* in, const char* out, const char* err) {
  DieWithParent(parent);
  ::setsid();
  const int in_fd = ::open(in, O_RDONLY);
  const int out_fd = ::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = ::open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::close_range(3, ~0U, 0);
  ::signal(SIGPIPE, SIG_DFL);
}

// In the child, between vfork and exec (StartChild's rules).
[[noreturn]] void ExecChild(pid_t parent, const char* path, char** argv, char** envp,
                            const char* in, const char* out, const char* err, const char* cwd,
                            const int* ignored, size_t ignored_count) {
  StartChild(parent, in, out, err);
  if (*cwd != '\0' && ::chdir(cwd) != 0) ::_exit(126);
  for (size_t i = 0; i < ignored_count; ++i) ::signal(ignored[i], SIG_IGN);
  ::execve(path, argv, envp);
  ::_exit(127);
}

// The number of threads of this process (its /proc status), 0 if unknown.
int ThreadCount() {
  const std::string status = ReadFileOrEmpty("/proc/self/status");
  const size_t at = status.find("\nThreads:");
  return at == std::string::npos ? 0 : std::atoi(status.c_str() + at + 9);
}

// Waits for `child` with a hard timeout and reads what it wrote to `out` and `err`.
CommandResult Finish(Subprocess& child, Clock::time_point start, std::chrono::milliseconds timeout,
                     const std::string& out, const std::string& err) {
  CommandResult result;
  if (!child.WaitFor(timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                   Clock::now() - start))) {
    child.Kill();
    result.timed_out = true;
  } else {
    result.exit_code = child.exit_code();
    result.term_signal = child.term_signal();
  }
  result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  result.out = ReadFileOrEmpty(out);
  result.err = ReadFileOrEmpty(err);
  return result;
}

}  // namespace

bool IsEtcdVariable(const std::string& name) {
  return name.rfind("ETCDCTL_", 0) == 0 || name.rfind("ETCD_", 0) == 0;
}

std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? name : "";
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

bool WaitUntilNotPending(pid_t pid, int sig, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const std::string status = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/status");
    const size_t at = status.find("ShdPnd:");
    if (at == std::string::npos) return true;  // gone
    const unsigned long long mask = std::stoull(status.substr(at + 7), nullptr, 16);
    if ((mask & (1ULL << (sig - 1))) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polls the kernel's state
  }
  return false;
}

std::string EtcdsnapBinary() {
  // $ETCDSNAP_BINARY runs the suite against another build (an older one, to see a test fail).
  const char* env = std::getenv("ETCDSNAP_BINARY");
  if (env != nullptr && *env != '\0') return env;
  return std::string(ETCDSNAP_BINARY_DIR) + "/etcdsnap";
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const SubprocessOptions& options) {
  // Everything the child needs is prepared before vfork: gRPC threads may hold locks, and the
  // child shares this address space until its exec. vfork, not fork: a fork copies the page
  // tables of this process (an ASan test binary maps terabytes of shadow), which made every
  // command a test ran cost ~15 ms more of CPU (measured on a 2-core VM: /bin/true 21 ms with
  // fork, 7 ms with vfork).
  std::string path = FindExecutable(argv.at(0));
  if (path.empty()) path = argv[0];  // execve fails, the child exits 127
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  std::string in_path = "/dev/null";
  if (options.stdin_data.has_value()) {
    char tmpl[] = "/tmp/etcdsnap-stdin.XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd < 0 || ::write(fd, options.stdin_data->data(), options.stdin_data->size()) !=
                      static_cast<ssize_t>(options.stdin_data->size())) {
      std::perror("stdin temp file");
      std::abort();
    }
    ::close(fd);
    in_path = tmpl;
  }
  const std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path;
  const std::string err = options.stderr_path.empty() ? "/dev/null" : options.stderr_path;
  const pid_t parent = ::getpid();
  pid_ = ::vfork();
  if (pid_ < 0) {
    std::perror("vfork");
    std::abort();
  }
  if (pid_ == 0) {
    ExecChild(parent, path.c_str(), c_args.data(), c_env.data(), in_path.c_str(), out.c_str(),
              err.c_str(), options.cwd.c_str(), options.ignored_signals.data(),
              options.ignored_signals.size());
  }
  // Unlinked only after the child is reaped: where vfork is a plain fork (valgrind, TSan) the
  // child may not have opened the file yet.
  if (in_path != "/dev/null") stdin_file_ = in_path;
}

Subprocess::Subprocess(const std::function<int()>& body, const std::string& stdout_path,
                       const std::string& stderr_path) {
  const std::string out = stdout_path.empty() ? "/dev/null" : stdout_path;
  const std::string err = stderr_path.empty() ? "/dev/null" : stderr_path;
  const pid_t parent = ::getpid();
  if (const int threads = ThreadCount(); threads > 1) {  // 0: /proc unreadable, not checked
    std::fprintf(stderr, "Subprocess: a function runs in a forked child only from a "
                         "single-threaded process; this one has %d threads\n", threads);
    std::abort();
  }
  std::fflush(nullptr);  // nothing buffered here is written twice
  pid_ = ::fork();
  if (pid_ < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid_ == 0) {
    StartChild(parent, "/dev/null", out.c_str(), err.c_str());
    // noexcept: an exception ends the child as it ends a program (std::terminate, SIGABRT),
    // instead of unwinding into the test's frames that the child copied.
    const int code = [&]() noexcept { return body(); }();
    std::fflush(nullptr);
    // No atexit handlers or static destructors: they belong to the test.
    ::_exit(code >= 0 && code <= 255 ? code : 255);
  }
}

Subprocess::~Subprocess() {
  Kill();
  if (!stdin_file_.empty()) ::unlink(stdin_file_.c_str());
}

void Subprocess::Signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, sig);
}

bool Subprocess::Poll() {
  if (reaped_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  if (WIFEXITED(status)) {
    exit_code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    term_signal_ = WTERMSIG(status);
    exit_code_ = 128 + term_signal_;
  }
  // Whatever the child left in its group (grandchildren) goes too.
  ::kill(-pid_, SIGKILL);
  return true;
}

bool Subprocess::WaitFor(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!Poll()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void Subprocess::Kill() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  while (!Poll()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

std::string CommandResult::Describe() const {
  std::ostringstream s;
  s << "exit=" << exit_code << (timed_out ? " (TIMED OUT, killed)" : "")
    << " wall=" << wall.count() << "ms\n--- stdout ---\n"
    << out << "\n--- stderr ---\n"
    << err << "\n--------------";
  return s.str();
}

int RunWithClosedStderrPipe(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  ::close(fds[0]);  // no reader before the command starts
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the child's exit
  }
  return status;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const SubprocessOptions& options,
                         std::chrono::milliseconds timeout) {
  TempDir capture("etcdsnap-run");
  SubprocessOptions opts = options;
  opts.stdout_path = capture.Join("stdout");
  opts.stderr_path = capture.Join("stderr");
  const auto start = Clock::now();
  Subprocess child(argv, opts);
  return Finish(child, start, timeout, opts.stdout_path, opts.stderr_path);
}

CommandResult RunForked(const std::function<int()>& body, std::chrono::milliseconds timeout) {
  TempDir capture("etcdsnap-run");
  const std::string out = capture.Join("stdout"), err = capture.Join("stderr");
  const auto start = Clock::now();
  Subprocess child(body, out, err);
  return Finish(child, start, timeout, out, err);
}

CommandResult RunInTerminal(const std::vector<std::string>& argv, const std::string& prompt,
                            const std::string& answer, std::chrono::milliseconds answer_delay,
                            std::chrono::milliseconds timeout) {
  std::string path = FindExecutable(argv.at(0));
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment({});
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  CommandResult result;
  const auto start = Clock::now();
  int master = -1;
  const pid_t parent = ::getpid();
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) {
    std::perror("forkpty");
    std::abort();
  }
  if (pid == 0) {
    DieWithParent(parent);
    ::execve(path.c_str(), c_args.data(), c_env.data());
    ::_exit(127);
  }
  bool answered = false;
  char buf[4096];
  while (true) {
    if (Clock::now() - start > timeout) {
      result.timed_out = true;
      break;
    }
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) {
      const ssize_t n = ::read(master, buf, sizeof(buf));
      if (n <= 0) break;  // EIO: the child closed the terminal
      result.out.append(buf, n);
    }
    if (!answered && result.out.find(prompt) != std::string::npos) {
      answered = true;
      std::this_thread::sleep_for(answer_delay);
      if (::write(master, answer.data(), answer.size()) < 0) break;
    }
  }
  ::kill(pid, SIGKILL);  // no-op when it has exited
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  if (!result.timed_out) {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

TerminalSession::TerminalSession(const std::vector<std::string>& argv,
                                 const std::vector<int>& ignored_signals) {
  std::string path = FindExecutable(argv.at(0));
  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment({});
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  int status_pipe[2], hold_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0 || ::pipe2(hold_pipe, O_CLOEXEC) != 0) {
    std::perror("pipe");
    std::abort();
  }
  const pid_t parent = ::getpid();
  leader_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
  if (leader_ < 0) {
    std::perror("forkpty");
    std::abort();
  }
  if (leader_ == 0) {
    // The session leader, with the terminal as its controlling terminal: a minimal shell.
    DieWithParent(parent);
    ::signal(SIGTTOU, SIG_IGN);
    const rlimit no_core{0, 0};  // a test that sends SIGQUIT leaves no core file behind
    ::setrlimit(RLIMIT_CORE, &no_core);
    const pid_t command = ::fork();
    if (command == 0) {
      ::setpgid(0, 0);
      // exec only once in the foreground, or reading the terminal would stop us (SIGTTIN).
      while (::tcgetpgrp(STDIN_FILENO) != ::getpid()) ::sched_yield();
      ::signal(SIGTTOU, SIG_DFL);
      for (int sig : ignored_signals) ::signal(sig, SIG_IGN);
      ::execve(path.c_str(), c_args.data(), c_env.data());
      ::_exit(127);
    }
    ::setpgid(command, command);
    ::tcsetpgrp(STDIN_FILENO, command);
    if (::write(status_pipe[1], &command, sizeof(command)) != sizeof(command)) ::_exit(126);
    int status = 0;
    while (::waitpid(command, &status, 0) < 0 && errno == EINTR) {
    }
    if (::write(status_pipe[1], &status, sizeof(status)) != sizeof(status)) ::_exit(126);
    char c;
    while (::read(hold_pipe[0], &c, 1) != 0) {
    }
    ::_exit(0);
  }
  ::close(status_pipe[1]);
  ::close(hold_pipe[0]);
  status_fd_ = status_pipe[0];
  hold_fd_ = hold_pipe[1];
  if (::read(status_fd_, &command_, sizeof(command_)) != sizeof(command_)) {
    std::fprintf(stderr, "TerminalSession: the session leader died\n");
    std::abort();
  }
}

TerminalSession::~TerminalSession() {
  if (!ended_ && command_ > 0) ::kill(-command_, SIGKILL);
  ::close(hold_fd_);
  ::kill(leader_, SIGKILL);
  ::waitpid(leader_, nullptr, 0);
  ::close(status_fd_);
  ::close(master_);
}

void TerminalSession::Pump(int ms) {
  pollfd p[2] = {{master_, POLLIN, 0}, {status_fd_, static_cast<short>(ended_ ? 0 : POLLIN), 0}};
  if (::poll(p, 2, ms) <= 0) return;
  if (p[0].revents & POLLIN) {
    char buf[4096];
    const ssize_t n = ::read(master_, buf, sizeof(buf));
    if (n > 0) out_.append(buf, n);
  }
  if (!ended_ && (p[1].revents & (POLLIN | POLLHUP))) {
    ended_ = ::read(status_fd_, &wait_status_, sizeof(wait_status_)) == sizeof(wait_status_);
    if (!ended_) wait_status_ = -1;
    ended_ = true;
  }
}

bool TerminalSession::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (const size_t at = out_.find(text, matched_); at != std::string::npos) {
      matched_ = at + text.size();
      return true;
    }
    if (Clock::now() >= deadline) return false;
    Pump(20);
  }
}

void TerminalSession::Type(const std::string& text) {
  if (::write(master_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::perror("writing to the terminal");
  }
}

bool TerminalSession::EchoOn() const {
  termios t{};
  if (::tcgetattr(master_, &t) != 0) return false;  // the master reads the terminal's settings
  return (t.c_lflag & ECHO) != 0;
}

void TerminalSession::Signal(int sig) {
  if (!ended_) ::kill(-command_, sig);
}

bool TerminalSession::WaitStopped(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string stat_path = "/proc/" + std::to_string(command_) + "/stat";
  while (Clock::now() < deadline && !ended_) {
    const std::string stat = ReadFileOrEmpty(stat_path);
    // pid (comm) S ...: the state follows the last ')'.
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T') {
      return true;
    }
    Pump(5);
  }
  return false;
}

int TerminalSession::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!ended_ && Clock::now() < deadline) Pump(20);
  if (!ended_ || wait_status_ < 0) return -1;
  // What the command printed before it ended (the leader keeps the terminal open).
  pollfd p{master_, POLLIN, 0};
  for (int i = 0; i < 1000 && ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0; ++i) Pump(0);
  if (WIFEXITED(wait_status_)) return WEXITSTATUS(wait_status_);
  return 128 + WTERMSIG(wait_status_);
}

}  // namespace etcdsnap::testing
