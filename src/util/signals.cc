#include "etcdsnap/util/signals.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace etcdsnap {
namespace {

// SIGINT, SIGTERM, SIGHUP and SIGQUIT, except those ignored now: a blocked signal is queued even when
// its action is SIG_IGN, so blocking an ignored one would turn `nohup`'s SIGHUP (or a
// background job's SIGINT) into a cancellation.
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    if (!SignalIgnored(sig)) sigaddset(&set, sig);
  }
  return set;
}

// The next signal from `signal_fd`, or 0 when `stop_fd` was written first.
int WaitForSignal(int signal_fd, int stop_fd) {
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    if (fds[1].revents != 0) return 0;
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      return static_cast<int>(info.ssi_signo);
    }
  }
}

}  // namespace

bool SignalIgnored(int sig) {
  struct sigaction current {};
  return ::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

Result<std::unique_ptr<SignalCanceller>> SignalCanceller::Start(Canceller* canceller,
                                                                SignalCancelOptions options) {
  const sigset_t set = TerminationSignals();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return Status::FromErrno("blocking termination signals", err);
  }
  const int signal_fd = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (signal_fd < 0) return Status::FromErrno("signalfd", errno);
  const int stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    const int err = errno;
    ::close(signal_fd);
    return Status::FromErrno("eventfd", err);
  }
  std::unique_ptr<SignalCanceller> s(new SignalCanceller(signal_fd, stop_fd));
  s->thread_ = std::jthread([self = s.get(), canceller, options = std::move(options)] {
    self->Run(canceller, options);
  });
  return s;
}

void SignalCanceller::Run(Canceller* canceller, const SignalCancelOptions& options) {
  const int first = WaitForSignal(signal_fd_, stop_fd_);
  if (first == 0) return;
  received_.store(first);
  canceller->Cancel(std::string("interrupted by ") + sigabbrev_np(first) + options.reason_suffix);
  const int second = WaitForSignal(signal_fd_, stop_fd_);
  if (second == 0) return;
  std::fprintf(stderr, "Error: interrupted twice; %s\n", options.second_message.c_str());
  std::fflush(stderr);
  DieOfSignal(second);
}

void DieOfSignal(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);  // not reached for INT, TERM, HUP or QUIT
}

SignalCanceller::~SignalCanceller() {
  const uint64_t one = 1;
  // An eventfd below its maximum value always takes the write.
  (void)!::write(stop_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(signal_fd_);
  ::close(stop_fd_);
}

}  // namespace etcdsnap
