// `etcdsnap snapshot save` started the way scripts start etcdctl: under `nohup` or as a
// background job (signals ignored from the start), dying of the signal it was stopped by, with
// `--user` exported for a cluster that has authentication off.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "fake_maintenance_server.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

class SaveCompatTest : public SaveTest {
 protected:
  // Starts a save against a server that pauses mid-transfer and waits until the pause, with the
  // .part holding the bytes sent so far.
  void StartPausedSave(const SubprocessOptions& io) {
    server_ = std::make_unique<FakeMaintenanceServer>(
        FakeSnapshotOptions{.fault = SnapshotFault::kPause});
    ASSERT_TRUE(server_->Start());
    save_ = std::make_unique<Subprocess>(
        std::vector<std::string>{EtcdsnapBinary(), "--endpoints", "http://" + server_->Endpoint(),
                                 "snapshot", "save", file_},
        io);
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (!(server_->stalling() && PathExists(file_ + ".part")) &&
           std::chrono::steady_clock::now() < deadline && !save_->Poll()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls the server's state
    }
    ASSERT_FALSE(save_->Poll()) << "save ended before the pause\n" << ReadFileOrEmpty(io.stderr_path);
    ASSERT_TRUE(server_->stalling()) << "no transfer in progress after 30 s";
  }

  // A signal ignored at start (`nohup` for HUP, a background job for INT) arrives mid-transfer:
  // the save goes on and completes.
  void ExpectIgnoredSignalDoesNotStopTheSave(int sig) {
    SubprocessOptions io;
    io.stdout_path = Path("save.out");
    io.stderr_path = Path("save.err");
    io.ignored_signals = {sig};
    StartPausedSave(io);
    if (HasFatalFailure()) return;
    // An ignored signal is discarded when it is sent: once kill() returns, it is gone.
    save_->Signal(sig);
    server_->Resume();
    ASSERT_TRUE(save_->WaitFor(seconds(30))) << "still running 30 s after the transfer resumed";
    const std::string err = ReadFileOrEmpty(io.stderr_path);
    EXPECT_EQ(save_->exit_code(), 0) << err;
    EXPECT_EQ(ReadFileOrEmpty(io.stdout_path), "Snapshot saved at " + file_ + "\n") << err;
    EXPECT_EQ(ReadFileOrEmpty(file_), server_->ExpectedFile()) << err;
    EXPECT_FALSE(PathExists(file_ + ".part"));
  }

  std::string file_ = Path("snap.db");
  std::unique_ptr<FakeMaintenanceServer> server_;
  std::unique_ptr<Subprocess> save_;
};

TEST_F(SaveCompatTest, NohupSaveSurvivesSighup) { ExpectIgnoredSignalDoesNotStopTheSave(SIGHUP); }

TEST_F(SaveCompatTest, BackgroundJobSaveSurvivesSigint) {
  ExpectIgnoredSignalDoesNotStopTheSave(SIGINT);
}

// Stopped by SIGTERM, the save cleans up, then dies of SIGTERM (shell status 143, as etcdctl).
TEST_F(SaveCompatTest, SigtermCleansUpThenDiesOfSigterm) {
  SubprocessOptions io;
  io.stderr_path = Path("save.err");
  StartPausedSave(io);
  if (HasFatalFailure()) return;
  save_->Signal(SIGTERM);
  ASSERT_TRUE(save_->WaitFor(seconds(15))) << "still running 15 s after SIGTERM";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  EXPECT_EQ(save_->term_signal(), SIGTERM) << "exit code " << save_->exit_code() << "\n" << err;
  EXPECT_NE(err.find("interrupted by TERM; nothing was saved"), std::string::npos) << err;
  EXPECT_TRUE(LeftNothingBehind(file_)) << err;
}

// ETCDCTL_USER exported for every cluster, one of which has authentication off: etcdctl saves
// (clientv3 ignores "authentication is not enabled"), and so must we, saying so at info level.
TEST_F(SaveCompatTest, UserGivenToAServerWithoutAuthSaves) {
  StartEtcd({.tls = false});
  const std::string file = Path("snap.db");
  SubprocessOptions options;
  options.env = {{"ETCDCTL_USER", "root:whatever"}};
  const CommandResult r =
      Etcdsnap({"--endpoints", etcd().member(0).ClientUrl(), "snapshot", "save", file}, options);
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_NE(r.err.find("authentication is not enabled"), std::string::npos) << r.Describe();
}

// `--endpoints a,b` naming members of two different clusters: refused before any snapshot is
// taken, naming both endpoints and their cluster IDs.
TEST_F(SaveCompatTest, EndpointsOfDifferentClustersAreRefused) {
  StartEtcd({.tls = false});
  EtcdCluster other({.tls = false}, nullptr);
  ASSERT_TRUE(other.Start());
  const std::string a = etcd().member(0).ClientUrl(), b = other.member(0).ClientUrl();
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap({"--endpoints", a + "," + b, "snapshot", "save", file});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_NE(r.err.find("Error: the endpoints belong to different clusters: " + a +
                       " is in cluster "),
            std::string::npos)
      << r.Describe();
  EXPECT_NE(r.err.find(", " + b + " in cluster "), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
