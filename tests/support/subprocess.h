// Child processes for tests: RAII ownership (the whole process group is killed and reaped when
// the owner goes away), hard timeouts, and output captured to files so no pipe can deadlock.
// A test that hangs fails; it never blocks CTest. Not thread-safe; one owner per object.
#ifndef ETCDSNAP_TESTS_SUPPORT_SUBPROCESS_H_
#define ETCDSNAP_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace etcdsnap::testing {

struct SubprocessOptions {
  // Variables set on top of the test's environment. The test's own ETCDCTL_* and ETCD_*
  // variables are never inherited, so a developer's shell cannot change a test's outcome.
  std::map<std::string, std::string> env;
  // Fed to stdin; stdin is /dev/null when absent.
  std::optional<std::string> stdin_data;
  std::string stdout_path;  // "" = /dev/null
  std::string stderr_path;  // "" = /dev/null
  std::string cwd;          // "" = the test's cwd
  // Signals set to SIG_IGN before exec, as `nohup` (SIGHUP) or a shell's background job
  // (SIGINT, SIGQUIT) starts a program.
  std::vector<int> ignored_signals;
};

// A running child in its own session (so its own process group and no controlling terminal:
// a program that tries to prompt on /dev/tty cannot).
class Subprocess {
 public:
  // Starts argv[0] (looked up in PATH when it has no '/'). Aborts the test binary if vfork
  // fails; an exec failure shows up as exit code 127.
  Subprocess(const std::vector<std::string>& argv, const SubprocessOptions& options);
  // Runs `body` in a forked child of this process instead of a program (no exec), with stdin
  // /dev/null and stdout and stderr on the files named (or /dev/null); body's return value is
  // the exit code (255 outside 0..255), an exception ends it as std::terminate does. Only from a
  // single-threaded process (aborts otherwise): the child has only the thread that forked, and
  // a lock another thread held (malloc's, gRPC's) would stay held in it.
  Subprocess(const std::function<int()>& body, const std::string& stdout_path,
             const std::string& stderr_path);
  ~Subprocess();  // Kill()
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `sig` to the child's whole process group (no-op once reaped).
  void Signal(int sig);
  // True when the child has exited (reaps it).
  bool Poll();
  // Waits until the child exits or `timeout` passes; true if it exited.
  bool WaitFor(std::chrono::milliseconds timeout);
  // SIGKILL to the group, then reap. Idempotent.
  void Kill();
  // Exit status, or 128 + signal number if a signal ended it; -1 while running.
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
  std::string stdin_file_;  // temp file holding stdin_data, removed with the object
};

struct CommandResult {
  int exit_code = -1;  // as Subprocess::exit_code(); -1 when timed out
  int term_signal = 0;  // the signal that ended it, 0 if it exited (or timed out)
  bool timed_out = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds wall{0};
  // One line summary for assertion messages: exit code, timing, stdout and stderr.
  std::string Describe() const;
};

// Runs a command with its stderr on a pipe that has no reader left (what `cmd 2>&1 | grep -m1 x`
// becomes once grep has matched): every write to stderr raises SIGPIPE or fails with EPIPE.
// stdin and stdout are /dev/null. Returns the wait status, or -1 when it was still running
// after `timeout` (it is then killed).
int RunWithClosedStderrPipe(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

// ETCDCTL_* and ETCD_* variables: a test's children never inherit the caller's.
bool IsEtcdVariable(const std::string& name);

// Runs a command to completion with a hard timeout: past it the process group is killed and
// `timed_out` is set.
CommandResult RunCommand(const std::vector<std::string>& argv, const SubprocessOptions& options,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs `body` in a forked child (Subprocess's function form: single-threaded tests only) to
// completion, as RunCommand runs a program: output captured, hard timeout. For code the test
// binary links, such as etcdsnap::cli::Main, this costs a fork instead of a program's start-up.
CommandResult RunForked(const std::function<int()>& body,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Runs a command on a fresh pseudo-terminal (stdin, stdout and stderr all on it, so `out` holds
// everything it printed and everything the terminal echoed). `answer_delay` after `prompt`
// appears in the output, `answer` is typed (0: at once, as an `expect` script does; a person
// takes a few hundred ms). Hard timeout as RunCommand.
CommandResult RunInTerminal(const std::vector<std::string>& argv, const std::string& prompt,
                            const std::string& answer, std::chrono::milliseconds answer_delay,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A command on a fresh pseudo-terminal under job control, as an interactive shell runs it: a
// small in-between process leads the terminal's session and waits, the command runs in its own
// process group in the foreground. So SIGTSTP stops the command (the kernel discards it in an
// orphaned process group, which is what a bare forkpty child is) and the terminal's settings
// stay readable after the command ends. Everything is killed with the object.
class TerminalSession {
 public:
  // `ignored_signals` are set to SIG_IGN before the exec, as in SubprocessOptions.
  explicit TerminalSession(const std::vector<std::string>& argv,
                           const std::vector<int>& ignored_signals = {});
  ~TerminalSession();
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  // Reads the terminal until `text` appears after what earlier waits matched; true if it did
  // within `timeout`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout);
  // Everything the terminal showed so far.
  const std::string& output() const { return out_; }
  void Type(const std::string& text);
  // The terminal's ECHO flag, as the command left it.
  bool EchoOn() const;
  // Sends `sig` to the command's process group.
  void Signal(int sig);
  pid_t pid() const { return command_; }
  // True once the command is stopped (job control), within `timeout`.
  bool WaitStopped(std::chrono::milliseconds timeout);
  // Waits for the command to end: its exit code, 128 + signal number when a signal ended it,
  // -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  // Reads what the terminal has and whether the command ended, for at most `ms`.
  void Pump(int ms);

  pid_t leader_ = -1;   // the session leader (the "shell")
  pid_t command_ = -1;  // the command, leader of its own process group
  int master_ = -1;
  int status_fd_ = -1;  // the leader writes the command's pid, then its wait status
  int hold_fd_ = -1;    // the leader exits when this closes
  int wait_status_ = -1;
  bool ended_ = false;
  std::string out_;
  size_t matched_ = 0;
};

// Waits until `sig`, sent to the process `pid` (kill(2) to it or its group), is no longer
// pending: a handler or a signal thread took it, or it was discarded. From
// /proc/<pid>/status's ShdPnd mask; true at once when the process is gone.
bool WaitUntilNotPending(pid_t pid, int sig, std::chrono::milliseconds timeout);

// The etcdsnap binary under test: $ETCDSNAP_BINARY, else ${ETCDSNAP_BINARY_DIR}/etcdsnap.
std::string EtcdsnapBinary();
// Absolute path of `name` in PATH (or an absolute path that is executable), "" if absent.
std::string FindExecutable(const std::string& name);

}  // namespace etcdsnap::testing

#endif  // ETCDSNAP_TESTS_SUPPORT_SUBPROCESS_H_
