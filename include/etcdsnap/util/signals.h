// SIGINT, SIGTERM, SIGHUP and SIGQUIT turned into cancellation. The signals are blocked in every thread
// and read from a signalfd by one owned thread, so no code runs in a signal handler. The first
// signal cancels; a second one ends the process at once. A signal that is ignored when Start()
// runs (`nohup`, a shell's background job) stays ignored. Once the work is cleaned up, the
// caller dies of the signal (DieOfSignal), so the parent sees what a default action shows.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap {

struct SignalCancelOptions {
  // The first signal calls Cancel("interrupted by SIGTERM" + reason_suffix).
  std::string reason_suffix;
  // A second signal prints "Error: interrupted twice; " + second_message on stderr and dies of
  // that signal. It removes no file: only the owner of a file (the thread that holds its lock
  // and knows its inode) may remove it, and that thread may be mid-rename.
  std::string second_message;
};

// True when `sig`'s action is SIG_IGN. Asked before anything of ours installs a handler, that is
// how the process started (`nohup` ignores SIGHUP, a shell's background job SIGINT and SIGQUIT):
// such a signal must stay ignored.
bool SignalIgnored(int sig);

// Ends the process with `sig`'s default action (restored, unblocked, raised), as if it had never
// been caught: the parent sees WIFSIGNALED, a shell $? of 128 + sig.
[[noreturn]] void DieOfSignal(int sig);

class SignalCanceller {
 public:
  // Blocks the signals in the calling thread, which every thread it starts later inherits:
  // call it before any other thread exists. Fails only when no signalfd/eventfd is available.
  static Result<std::unique_ptr<SignalCanceller>> Start(Canceller* canceller,
                                                        SignalCancelOptions options);
  // Stops and joins the thread. The signals stay blocked: one that arrives after the work is
  // done stays pending and is ignored until the process exits.
  ~SignalCanceller();
  SignalCanceller(const SignalCanceller&) = delete;
  SignalCanceller& operator=(const SignalCanceller&) = delete;

  // The signal that cancelled, or 0.
  int received_signal() const { return received_.load(); }

 private:
  SignalCanceller(int signal_fd, int stop_fd) : signal_fd_(signal_fd), stop_fd_(stop_fd) {}
  void Run(Canceller* canceller, const SignalCancelOptions& options);

  int signal_fd_;
  int stop_fd_;
  std::atomic<int> received_{0};
  std::jthread thread_;  // last: joined before the fds close
};

}  // namespace etcdsnap
