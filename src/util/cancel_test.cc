#include "etcdsnap/util/cancel.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "etcdsnap/util/secret.h"
#include "etcdsnap/util/signals.h"

namespace etcdsnap {
namespace {

TEST(CancellerTest, FirstReasonWinsAndCheckReportsIt) {
  Canceller c;
  EXPECT_TRUE(c.Check().ok());
  c.Cancel("first");
  c.Cancel("second");
  EXPECT_TRUE(c.cancelled());
  EXPECT_TRUE(c.flag()->load());
  EXPECT_EQ(c.Check().code(), Code::kCancelled);
  EXPECT_EQ(c.Check().message(), "first");
}

// Probes run in parallel, each with its own registration: a cancel must reach all of them, and
// a registration that ended must not be called.
TEST(CancellerTest, EveryLiveRegistrationIsCalled) {
  Canceller c;
  int a = 0, b = 0, gone = 0;
  {
    Canceller::Registration ended(&c, [&] { ++gone; });
  }
  Canceller::Registration ra(&c, [&] { ++a; });
  Canceller::Registration rb(&c, [&] { ++b; });
  c.Cancel("stop");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(gone, 0);
}

TEST(CancellerTest, RegisteringAfterCancelCallsAtOnce) {
  Canceller c;
  c.Cancel("stop");
  int calls = 0;
  Canceller::Registration r(&c, [&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(CancellerTest, NullCancellerRegistersNothing) {
  int calls = 0;
  Canceller::Registration r(nullptr, [&] { ++calls; });
  EXPECT_EQ(calls, 0);
}

// Unblocks the termination signals again: SignalCanceller leaves them blocked on purpose.
struct UnblockTerminationSignals {
  ~UnblockTerminationSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }
};

// Signals from kill(1) or the terminal are process-directed (raise() would target one thread).
TEST(SignalCancellerTest, FirstSignalCancelsWithItsName) {
  UnblockTerminationSignals unblock;
  Canceller c;
  auto s = SignalCanceller::Start(&c, {.reason_suffix = "; stopped"});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!c.cancelled() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_TRUE(c.cancelled());
  EXPECT_EQ(c.reason(), "interrupted by TERM; stopped");
}

TEST(SignalCancellerTest, StopsWithoutASignal) {
  UnblockTerminationSignals unblock;
  Canceller c;
  auto s = SignalCanceller::Start(&c, {});
  ASSERT_TRUE(s.ok());
  s->reset();  // joins; would hang if the thread could only wake on a signal
  EXPECT_FALSE(c.cancelled());
}

// `nohup`: a signal ignored when Start() runs is not turned into a cancellation. The pending
// signals are read lowest number first, so a HUP that got through would name the reason.
TEST(SignalCancellerTest, SignalIgnoredAtStartStaysIgnored) {
  UnblockTerminationSignals unblock;
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &old), 0);
  Canceller c;
  auto s = SignalCanceller::Start(&c, {});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!c.cancelled() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(c.reason(), "interrupted by TERM");
  EXPECT_EQ((*s)->received_signal(), SIGTERM);
  s->reset();
  ::sigaction(SIGHUP, &old, nullptr);
}

TEST(SignalCancellerDeathTest, SecondSignalEndsTheProcessWithThatSignal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        // Both pending before the thread starts: the lower number (INT) is read first, so
        // TERM is the second.
        sigset_t both;
        sigemptyset(&both);
        sigaddset(&both, SIGINT);
        sigaddset(&both, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &both, nullptr);
        ::kill(::getpid(), SIGTERM);
        ::kill(::getpid(), SIGINT);
        Canceller c;
        auto s = SignalCanceller::Start(&c, {.second_message = "gave up"});
        // The main thread never finishes its cleanup: only the second signal ends the process.
        while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
      },
      ::testing::KilledBySignal(SIGTERM), "Error: interrupted twice; gave up");
}

TEST(SecretTest, ClearSecretEmptiesTheString) {
  std::string s = "a password long enough to live on the heap, not in the string object";
  ClearSecret(s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace etcdsnap
