// Cancellation shared between a worker and whoever may stop it (the signal thread): a flag, a
// reason, and hooks that abort what is in flight. Knows nothing of gRPC: the client module
// registers a hook that cancels its call. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "etcdsnap/util/status.h"

namespace etcdsnap {

class Canceller {
 public:
  // Sets the flag (the first reason wins) and runs every registered hook. Takes a lock: call it
  // from a normal thread (the signal thread), never from a signal handler.
  void Cancel(const std::string& reason);
  bool cancelled() const { return cancelled_.load(); }
  std::string reason() const;
  // For code that only polls (a long loop): true once Cancel() was called.
  const std::atomic<bool>* flag() const { return &cancelled_; }
  // Ok, or kCancelled with the reason: a check between stages.
  Status Check() const;
  // Waits `d`, or less when Cancel() is called meanwhile; then Check(). For waits that poll
  // something no file descriptor can signal (another process's lock).
  Status Sleep(std::chrono::nanoseconds d) const;

  // While alive, Cancel() also runs `on_cancel` (at once when already cancelled). The hook runs
  // under the canceller's lock, so once the destructor returns it never runs again. Several
  // registrations may be alive at once (parallel probes). A null canceller registers nothing.
  class Registration {
   public:
    Registration(Canceller* c, std::function<void()> on_cancel);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    Canceller* c_;
    uint64_t id_ = 0;
  };

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // notified by Cancel(), for Sleep()
  std::atomic<bool> cancelled_{false};
  std::string reason_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::function<void()>> hooks_;
};

}  // namespace etcdsnap
