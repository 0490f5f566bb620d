// `etcdsnap snapshot save` and signals: a second signal exits at once and removes no file by
// path (the .part at that path may no longer be this save's); a signal while several members
// are being probed cancels every probe.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <thread>

#include "fake_maintenance_server.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

class SaveSignalTest : public SaveTest {};

// While a save stalls, its .part is moved away and another file takes the name (an operator's
// copy, another tool). SIGTERM then SIGINT at once: the other file must survive.
TEST_F(SaveSignalTest, SecondSignalExitsWithoutRemovingAPartThatIsNotItsOwn) {
  FakeMaintenanceServer server({.fault = SnapshotFault::kStall});
  ASSERT_TRUE(server.Start());
  const std::string file = Path("snap.db");
  const std::string part = file + ".part";
  SubprocessOptions io;
  io.stderr_path = Path("save.err");
  Subprocess save({EtcdsnapBinary(), "--endpoints", "http://" + server.Endpoint(), "snapshot",
                   "save", file},
                  io);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!(server.stalling() && PathExists(part)) && std::chrono::steady_clock::now() < deadline &&
         !save.Poll()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls the server's state
  }
  ASSERT_TRUE(server.stalling() && !save.Poll()) << ReadFileOrEmpty(io.stderr_path);
  ASSERT_EQ(std::rename(part.c_str(), Path("moved-away.part").c_str()), 0);
  const std::string foreign = "not this save's file\n";
  WriteFileOrDie(part, foreign);

  // The same signal twice, the second once the first was taken (a pending standard signal is
  // not queued twice): however the race between the cleanup and the second signal goes, the
  // process dies of SIGTERM.
  save.Signal(SIGTERM);
  ASSERT_TRUE(WaitUntilNotPending(save.pid(), SIGTERM, seconds(10)));
  save.Signal(SIGTERM);
  ASSERT_TRUE(save.WaitFor(seconds(15))) << "still running 15 s after two signals";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  EXPECT_EQ(save.term_signal(), SIGTERM) << "exit code " << save.exit_code() << "\n" << err;
  EXPECT_NE(err.find("Error: interrupted "), std::string::npos) << err;
  EXPECT_EQ(ReadFileOrEmpty(part), foreign) << "the save removed a .part it did not own\n" << err;
  EXPECT_FALSE(PathExists(file)) << err;
}

// Several endpoints are probed in parallel, each call registered with the canceller: SIGTERM
// must cancel all of them, not only the last one registered (the others would run to their
// 60 s dial timeout).
// stderr on a pipe whose reader is gone (`... 2>&1 | grep -m1 saved` after grep matched): the
// first log line would raise SIGPIPE and leave the .part behind. The save must finish instead.
TEST_F(SaveSignalTest, ClosedStderrPipeDoesNotKillTheSaveHalfWay) {
  StartEtcd({.tls = false});
  const std::string file = Path("snap.db");
  const int status = RunWithClosedStderrPipe(
      {EtcdsnapBinary(), "--endpoints", etcd().member(0).Endpoint(), "snapshot", "save", file});
  ASSERT_NE(status, -1) << "did not end";
  EXPECT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  EXPECT_TRUE(PathExists(file));
  EXPECT_FALSE(PathExists(file + ".part"));
}

TEST_F(SaveSignalTest, SigtermWhileConnectingToSeveralEndpointsExitsPromptly) {
  SilentListener a, b;
  const std::string file = Path("snap.db");
  SubprocessOptions io;
  io.stderr_path = Path("save.err");
  Subprocess save({EtcdsnapBinary(), "--endpoints", a.Endpoint() + "," + b.Endpoint(),
                   "--dial-timeout", "60s", "snapshot", "save", file},
                  io);
  ASSERT_TRUE(a.WaitForPendingConnection(seconds(30))) << ReadFileOrEmpty(io.stderr_path);
  ASSERT_TRUE(b.WaitForPendingConnection(seconds(30))) << ReadFileOrEmpty(io.stderr_path);
  save.Signal(SIGTERM);
  ASSERT_TRUE(save.WaitFor(seconds(10))) << "still running 10 s after SIGTERM";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  EXPECT_EQ(save.term_signal(), SIGTERM) << "exit code " << save.exit_code() << "\n" << err;
  EXPECT_NE(err.find("interrupted by TERM"), std::string::npos) << err;
  EXPECT_TRUE(LeftNothingBehind(file)) << err;
}

}  // namespace
}  // namespace etcdsnap::testing
