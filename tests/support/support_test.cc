// Tests of the test harness itself, so that a failing save test points at etcdsnap and not at
// the harness: subprocess timeouts, the generated PKI, and real etcd clusters that etcdctl can
// back up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "etcd_cluster.h"
#include "pki.h"
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
  if (etcdctl.empty()) GTEST_SKIP() << "no etcdctl";
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
