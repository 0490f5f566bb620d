// Tests of the test harness itself, so that a failing save test points at etcdsnap and not at
// the harness: subprocess timeouts, the generated PKI, and real etcd clusters that etcdctl can
// back up.
#include <arpa/inet.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "etcd_cluster.h"
#include "pki.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RunCommandTest, CapturesOutputAndExitCode) {
  const CommandResult r = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunCommandTest, KillsACommandThatOutlivesItsTimeout) {
  const CommandResult r = RunCommand({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {}, milliseconds(300));
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall, seconds(5));
}

TEST(RunCommandTest, ReportsTheSignalThatEndedTheCommandApartFromItsExitCode) {
  // A crash must not read as an ordinary exit: etcdsnap itself exits 128 on bad arguments.
  const CommandResult crashed = RunCommand({"/bin/sh", "-c", "kill -SEGV $$"}, {});
  EXPECT_EQ(crashed.term_signal, SIGSEGV);
  const CommandResult exited = RunCommand({"/bin/sh", "-c", "exit 128"}, {});
  EXPECT_EQ(exited.term_signal, 0);
  EXPECT_EQ(exited.exit_code, 128);
}

TEST(RunCommandTest, PassesEnvironmentAndStdinButNotTheCallersEtcdctlVariables) {
  ::setenv("ETCDCTL_ENDPOINTS", "leaked:1", 1);
  SubprocessOptions options;
  options.env = {{"ETCDCTL_USER", "u"}};
  options.stdin_data = "input";
  const CommandResult r = RunCommand(
      {"/bin/sh", "-c", "echo \"$ETCDCTL_USER-${ETCDCTL_ENDPOINTS:-none}-$(cat)\""}, options);
  ::unsetenv("ETCDCTL_ENDPOINTS");
  EXPECT_EQ(r.out, "u-none-input\n") << r.Describe();
}

TEST(RunCommandTest, ChildHasNoControllingTerminal) {
  const CommandResult r = RunCommand({"/bin/sh", "-c", "exec 3</dev/tty"}, {});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
}

TEST(RunForkedTest, CapturesOutputAndTheReturnValueAsExitCode) {
  const CommandResult r = RunForked([] {
    std::printf("out\n");
    std::fprintf(stderr, "err\n");
    return 3;
  });
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(RunForkedTest, ReportsACrashAsItsSignalAndKillsAHang) {
  const CommandResult crashed = RunForked([] {
    std::abort();
    return 0;
  });
  EXPECT_EQ(crashed.term_signal, SIGABRT) << crashed.Describe();
  const CommandResult hung = RunForked(
      [] {
        for (;;) ::pause();
        return 0;
      },
      milliseconds(300));
  EXPECT_TRUE(hung.timed_out);
  EXPECT_LT(hung.wall, seconds(5));
}

TEST(RunForkedTest, EndsOnAnExceptionAsAProgramDoesAndClampsTheExitCode) {
  const CommandResult thrown = RunForked([]() -> int { throw std::runtime_error("x"); });
  EXPECT_EQ(thrown.term_signal, SIGABRT) << thrown.Describe();
  EXPECT_EQ(RunForked([] { return 300; }).exit_code, 255);
  EXPECT_EQ(RunForked([] { return -1; }).exit_code, 255);
}

TEST(RunForkedDeathTest, RefusesAMultiThreadedProcess) {
  EXPECT_DEATH(
      {
        std::thread t([] { ::pause(); });
        t.detach();
        RunForked([] { return 0; });
      },
      "single-threaded");
}

// A test binary killed outright runs no destructors: its children must die with it anyway.
TEST(SubprocessTest, ChildDiesWhenTheTestProcessDies) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    Subprocess sleeper({"sleep", "60"}, {});
    const pid_t pid = sleeper.pid();
    if (::write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) ::_exit(1);
    ::_exit(0);  // no destructors, as if SIGKILLed
  }
  pid_t child = -1;
  ASSERT_EQ(::read(fds[0], &child, sizeof(child)), static_cast<ssize_t>(sizeof(child)));
  ::close(fds[0]);
  ::close(fds[1]);
  ::waitpid(test_process, nullptr, 0);
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (::kill(child, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_NE(::kill(child, 0), 0) << "pid " << child << " outlived the process that started it";
}

TEST(SilentListenerTest, AcceptsConnectionsButNeverAnswers) {
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const CommandResult r = RunCommand(
      {"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(silent.port()) +
                            " && timeout 1 cat <&3; echo rc=$?"},
      {});
  EXPECT_EQ(r.out, "rc=124\n") << r.Describe();  // connected, then read nothing until killed
}

// "Nothing listens here" must stay true for the whole test: the port is refused, and no other
// process can bind it meanwhile, not even with SO_REUSEADDR as Go's (etcd's) listeners do.
TEST(RefusedPortTest, RefusesConnectionsAndCannotBeTaken) {
  RefusedPort refused;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(refused.port()));
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  EXPECT_NE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(errno, ECONNREFUSED);
  ::close(client);
  const int thief = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(thief, 0);
  const int one = 1;
  ASSERT_EQ(::setsockopt(thief, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
  EXPECT_NE(::bind(thief, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << "another process could listen on the \"refused\" port " << refused.port();
  EXPECT_EQ(errno, EADDRINUSE);
  ::close(thief);
}

TEST(SilentListenerTest, ReportsAPendingConnection) {
  SilentListener silent;
  EXPECT_FALSE(silent.WaitForPendingConnection(milliseconds(0)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(silent.port()));
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_TRUE(silent.WaitForPendingConnection(seconds(10)));
  ::close(client);
}

void RequireSomethingMissing() { ETCDSNAP_REQUIRE_OR_SKIP(false, "the thing is missing"); }

// CTest counts a skipped test as passed: under CI a missing prerequisite must fail instead.
TEST(RequireOrSkipTest, FailsUnderCi) {
  const char* old = std::getenv("CI");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("CI", "true", 1);
  EXPECT_FATAL_FAILURE(RequireSomethingMissing(), "the thing is missing");
  if (old != nullptr) {
    ::setenv("CI", saved.c_str(), 1);
  } else {
    ::unsetenv("CI");
  }
}

// So CI must run with CI=true: .ci/run sets it (keeping a value the CI system gave) and runs
// exactly the README's test command. A stand-in `bash` first in PATH (which .ci/run's
// `#!/usr/bin/env bash` finds too, and hands on to the real one) reports what it was asked to
// run instead of running the suite.
TEST(CiRunTest, RunsTheReadmeTestCommandWithCiTrue) {
  const std::string root = std::string(ETCDSNAP_TEST_DATA_DIR) + "/../..";
  const std::string bash = FindExecutable("bash");
  ASSERT_FALSE(bash.empty());
  TempDir bin("ci-run-test");
  WriteFileOrDie(bin.Join("bash"),
                 "#!/bin/sh\n"
                 "if [ \"$1\" = scripts/test.sh ]; then\n"
                 "  echo \"bash $*: CI=${CI-unset}\"; exit 0\n"
                 "fi\n"
                 "exec " + bash + " \"$@\"\n");
  ASSERT_EQ(::chmod(bin.Join("bash").c_str(), 0755), 0);
  const char* path = std::getenv("PATH");
  auto ci_run = [&](const std::string& ci) {
    std::vector<std::string> argv = {"env", "-u", "CI"};
    if (!ci.empty()) argv.push_back("CI=" + ci);
    argv.push_back("PATH=" + bin.path() + ":" + (path != nullptr ? path : "/usr/bin:/bin"));
    argv.push_back(root + "/.ci/run");
    return RunCommand(argv, {});
  };
  const CommandResult unset = ci_run("");
  EXPECT_EQ(unset.out, "bash scripts/test.sh: CI=true\n") << unset.Describe();
  const CommandResult given = ci_run("false");
  EXPECT_EQ(given.out, "bash scripts/test.sh: CI=false\n") << given.Describe();
  EXPECT_NE(ReadFileOrEmpty(root + "/README.md").find("\nbash scripts/test.sh "),
            std::string::npos)
      << "the README's test command is no longer `bash scripts/test.sh`";
}

// The terminal harness the password prompt tests use: job control works (SIGTSTP stops the
// command, SIGCONT resumes it) and the terminal's echo flag is readable.
TEST(TerminalSessionTest, StopsAndResumesUnderJobControl) {
  TerminalSession t({"/bin/bash", "-c", "stty -echo; echo ready; read line; echo got=$line"});
  ASSERT_TRUE(t.WaitForOutput("ready", seconds(10))) << t.output();
  EXPECT_FALSE(t.EchoOn());
  t.Signal(SIGTSTP);
  ASSERT_TRUE(t.WaitStopped(seconds(10))) << t.output();
  t.Signal(SIGCONT);
  t.Type("abc\n");
  ASSERT_TRUE(t.WaitForOutput("got=abc", seconds(10))) << t.output();
  EXPECT_EQ(t.Wait(seconds(10)), 0) << t.output();
}

TEST(PkiTest, CertificatesVerifyAsIntended) {
  Pki pki;
  const auto verify = [&](const std::string& ca, const std::string& cert) {
    return RunCommand({"openssl", "verify", "-CAfile", ca, cert}, {});
  };
  EXPECT_EQ(verify(pki.ca.cert, pki.server.cert).exit_code, 0);
  EXPECT_EQ(verify(pki.ca.cert, pki.client.cert).exit_code, 0);
  EXPECT_EQ(verify(pki.other_ca.cert, pki.other_client.cert).exit_code, 0);
  EXPECT_NE(verify(pki.ca.cert, pki.other_client.cert).exit_code, 0);
  const CommandResult expired = verify(pki.ca.cert, pki.expired_client.cert);
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_NE((expired.out + expired.err).find("expired"), std::string::npos) << expired.Describe();
}

TEST(EtcdClusterTest, SingleTlsMemberServesTheTestClientAndEtcdctl) {
  Pki pki;
  EtcdCluster etcd({}, &pki);
  ASSERT_TRUE(etcd.Start());
  EtcdTestClient client = etcd.Client();
  ASSERT_TRUE(client.Put("k", "v").ok());
  std::string value;
  ASSERT_TRUE(client.Get("k", &value).ok());
  EXPECT_EQ(value, "v");
  const std::string etcdctl = FindExecutable("etcdctl");
  ETCDSNAP_REQUIRE_OR_SKIP(!etcdctl.empty(), "no etcdctl");
  TempDir dir;
  const CommandResult r = RunCommand(
      {etcdctl, "--endpoints", etcd.member(0).Endpoint(), "--cacert", pki.ca.cert, "--cert",
       pki.client.cert, "--key", pki.client.key, "snapshot", "save", dir.Join("s.db")},
      {}, seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(FileSize(dir.Join("s.db")) % 512, 32);
}

TEST(EtcdClusterTest, ThreeMembersKeepServingWithOneKilled) {
  Pki pki;
  EtcdCluster etcd({.members = 3}, &pki);
  ASSERT_TRUE(etcd.Start());
  etcd.member(0).Kill();
  EXPECT_FALSE(etcd.member(0).running());
  // If the killed member led, writes fail until the others elect a new leader.
  grpc::Status put;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  do {
    put = etcd.Client(1).Put("k", "v");
  } while (!put.ok() && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(put.ok()) << put.error_message();
  std::string value;
  ASSERT_TRUE(etcd.Client(2).Get("k", &value).ok());
  EXPECT_EQ(value, "v");
}

TEST(EtcdClusterTest, PlaintextMemberNeedsNoPki) {
  EtcdCluster etcd({.tls = false}, nullptr);
  ASSERT_TRUE(etcd.Start());
  EXPECT_EQ(etcd.member(0).ClientUrl().rfind("http://", 0), 0u);
  EXPECT_TRUE(etcd.Client().Put("k", "v").ok());
}

}  // namespace
}  // namespace etcdsnap::testing
