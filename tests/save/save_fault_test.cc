// `etcdsnap snapshot save` against a fake Maintenance server that misbehaves in ways a real etcd
// cannot be made to: a wrong sha256 trailer, a stream cut before the trailer, a stall. Also
// SIGTERM/SIGINT/SIGHUP while a transfer is in progress.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <thread>

#include "fake_maintenance_server.h"
#include "require.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

class SaveFaultTest : public SaveTest {
 protected:
  void Serve(FakeSnapshotOptions options) {
    server_ = std::make_unique<FakeMaintenanceServer>(options);
    ASSERT_TRUE(server_->Start());
  }
  // Plaintext flags for the fake server plus `global_flags`, then `snapshot save`, then
  // `save_flags` and <file>.
  std::vector<std::string> Args(const std::string& file,
                                std::vector<std::string> global_flags = {},
                                const std::vector<std::string>& save_flags = {}) {
    global_flags.insert(global_flags.end(), {"--endpoints", "http://" + server_->Endpoint(),
                                             "--dial-timeout", "2s"});
    return SaveCommand(global_flags, file, save_flags);
  }
  // Starts a save against a stalling server, waits until its .part holds the bytes sent before
  // the stall, sends `sig`, and returns how it ended.
  void SignalDuringTransfer(int sig);
  // Against a server with `fault`, a save with `global_flags` and `save_flags` fails cleanly
  // with exit 5.
  CommandResult ExpectFailsWith5(SnapshotFault fault,
                                 const std::vector<std::string>& global_flags = {},
                                 const std::vector<std::string>& save_flags = {});
  // Against a stalling server, the flags (a 2 s timeout) make the save fail cleanly and soon.
  void ExpectStallAbortedWithin2sBy(const std::vector<std::string>& global_flags,
                                    const std::vector<std::string>& save_flags);

  // A refusal of the .part or target: exit 5 within the timeout, one Error line containing
  // `what`, no target created, and the server never asked for a snapshot.
  void ExpectRefusedBeforeConnecting(const CommandResult& r, const std::string& file,
                                     const std::string& what) {
    EXPECT_FALSE(r.timed_out) << "hung\n" << r.Describe();
    EXPECT_EQ(r.exit_code, 5) << r.Describe();
    EXPECT_TRUE(HasOneErrorLine(r));
    EXPECT_NE(r.err.find("Error: " + what), std::string::npos) << r.Describe();
    EXPECT_EQ(server_->snapshot_calls(), 0) << r.Describe();
    struct stat st {};
    if (::lstat(file.c_str(), &st) == 0) {
      EXPECT_FALSE(S_ISREG(st.st_mode)) << file << " written";
    }
  }
  // A refusal is immediate; past this the save is taken to hang.
  static constexpr std::chrono::seconds kRefusalTimeout{15};

  std::unique_ptr<FakeMaintenanceServer> server_;
};

TEST_F(SaveFaultTest, GoodStreamIsSavedByteForByte) {
  Serve({});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file));
  ASSERT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
}

// Chunking is the server's business: odd chunk sizes, a chunk larger than gRPC's default 4 MiB
// receive limit (etcdctl accepts up to 2 GiB), a trailer split over two messages.
TEST_F(SaveFaultTest, StreamIsBytesWhateverTheMessageSizes) {
  const struct {
    const char* what;
    FakeSnapshotOptions options;
  } cases[] = {
      {"100-byte chunks", {.chunks = 512, .chunk_size = 100}},
      {"one 6 MiB chunk", {.chunks = 1, .chunk_size = 6 << 20}},
      {"split trailer", {.chunks = 4, .split_trailer = true}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Serve(c.options);
    const std::string file = Path("snap.db");
    ASSERT_TRUE(SavedCompleteSnapshot(Etcdsnap(Args(file)), file));
    EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
    server_.reset();
    std::remove(file.c_str());
  }
}

// etcdctl's only check: size % 512 == 32. 3000 bytes of image + 32 fails it.
TEST_F(SaveFaultTest, SizeNotAMultipleOf512PlusTrailerExits5) {
  Serve({.chunks = 3, .chunk_size = 1000});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
}

TEST_F(SaveFaultTest, RelativePathIsReportedAsGiven) {
  Serve({});
  SubprocessOptions in_work_dir;
  in_work_dir.cwd = Path("");
  const CommandResult r = Etcdsnap(Args("snap.db"), in_work_dir);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "Snapshot saved at snap.db\n") << r.Describe();
  EXPECT_TRUE(ReadFileOrEmpty(Path("snap.db")) == server_->ExpectedFile());
}

TEST_F(SaveFaultTest, SuccessfulSaveReplacesAnExistingFileWithMode0600) {
  Serve({});
  const std::string file = Path("snap.db");
  WriteFileOrDie(file, "old");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  EXPECT_TRUE(SavedCompleteSnapshot(Etcdsnap(Args(file)), file));
  EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
}

// Two saves to one target (two cron jobs overlapping): while one holds the .part (here the test
// itself holds its lock), a second save is refused at once, before connecting, and touches
// neither the target nor the first one's .part. Once the lock is released the next save works.
TEST_F(SaveFaultTest, OverlappingSavesToOneTargetNeverTearIt) {
  Serve({});
  const std::string file = Path("snap.db");
  const std::string part = file + ".part";
  WriteFileOrDie(file, "previous snapshot");
  WriteFileOrDie(part, "the first save's partial data");
  {
    const int first = ::open(part.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(first, 0);
    struct CloseAtEnd {
      int fd;
      ~CloseAtEnd() { ::close(fd); }  // releases the lock
    } close_at_end{first};
    ASSERT_EQ(::flock(first, LOCK_EX | LOCK_NB), 0);
    const CommandResult r = Etcdsnap(Args(file));
    EXPECT_EQ(r.exit_code, 5) << r.Describe();
    EXPECT_TRUE(HasOneErrorLine(r));
    EXPECT_NE(r.err.find("another save to " + file + " is in progress (" + part + " is locked)"),
              std::string::npos)
        << r.Describe();
    EXPECT_EQ(server_->snapshot_calls(), 0) << r.Describe();
    EXPECT_EQ(ReadFileOrEmpty(file), "previous snapshot");
    EXPECT_EQ(ReadFileOrEmpty(part), "the first save's partial data");
  }
  ASSERT_TRUE(SavedCompleteSnapshot(Etcdsnap(Args(file)), file));
  EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
}

// A stale .part from a killed run does not block the next save.
TEST_F(SaveFaultTest, StalePartFromAKilledRunIsReplaced) {
  Serve({});
  const std::string file = Path("snap.db");
  WriteFileOrDie(file + ".part", "left by a save that was killed");
  EXPECT_TRUE(SavedCompleteSnapshot(Etcdsnap(Args(file)), file));
  EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
}

// A .part planted as a symlink must not make the save write through it: refused before
// connecting, naming the .part, with the link and what it points to left as they are.
TEST_F(SaveFaultTest, SymlinkedPartIsNotWrittenThrough) {
  Serve({});
  const std::string file = Path("snap.db");
  const std::string victim = Path("victim");
  WriteFileOrDie(victim, "must stay as it is");
  ASSERT_EQ(::symlink(victim.c_str(), (file + ".part").c_str()), 0);
  const CommandResult r = Etcdsnap(Args(file));
  ExpectRefusedBeforeConnecting(r, file, file + ".part is a symbolic link");
  EXPECT_EQ(ReadFileOrEmpty(victim), "must stay as it is") << r.Describe();
  struct stat st {};
  ASSERT_EQ(::lstat((file + ".part").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

// A FIFO at the .part path: opening it for writing would wait for a reader for ever (and the
// save would not even answer SIGTERM). It is refused at once.
TEST_F(SaveFaultTest, FifoAtPartIsRefusedWithoutHanging) {
  Serve({});
  const std::string file = Path("snap.db");
  ASSERT_EQ(::mkfifo((file + ".part").c_str(), 0600), 0);
  const CommandResult r = Etcdsnap(Args(file), {}, kRefusalTimeout);
  ExpectRefusedBeforeConnecting(r, file, file + ".part is a FIFO");
  struct stat st {};
  ASSERT_EQ(::lstat((file + ".part").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

// The target itself a FIFO (or a device, a socket): the rename would replace the node with a
// file. Refused before connecting; nothing is created.
TEST_F(SaveFaultTest, FifoAsTargetIsRefusedBeforeConnecting) {
  Serve({});
  const std::string file = Path("snap.db");
  ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
  const CommandResult r = Etcdsnap(Args(file), {}, kRefusalTimeout);
  ExpectRefusedBeforeConnecting(r, file, file + " is a FIFO, not a regular file");
  struct stat st {};
  ASSERT_EQ(::lstat(file.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(PathExists(file + ".part"));
}

// A .part hard-linked to another file: etcd's data would show up under that other name.
TEST_F(SaveFaultTest, HardLinkedPartIsRefused) {
  Serve({});
  const std::string file = Path("snap.db");
  const std::string other = Path("other");
  WriteFileOrDie(other, "someone else's file");
  ASSERT_EQ(::link(other.c_str(), (file + ".part").c_str()), 0);
  const CommandResult r = Etcdsnap(Args(file));
  ExpectRefusedBeforeConnecting(r, file, file + ".part has 2 hard links");
  EXPECT_EQ(ReadFileOrEmpty(other), "someone else's file");
}

// A .part pre-created by another user (who could read the backup through it) is refused.
TEST_F(SaveFaultTest, PartOwnedByAnotherUserIsRefused) {
  ETCDSNAP_REQUIRE_OR_SKIP(::geteuid() == 0, "needs root to give the .part to another user");
  Serve({});
  const std::string file = Path("snap.db");
  WriteFileOrDie(file + ".part", "planted");
  ASSERT_EQ(::chmod((file + ".part").c_str(), 0666), 0);
  ASSERT_EQ(::chown((file + ".part").c_str(), 65534, 65534), 0);
  const CommandResult r = Etcdsnap(Args(file));
  ExpectRefusedBeforeConnecting(r, file, file + ".part is owned by uid 65534");
  EXPECT_EQ(ReadFileOrEmpty(file + ".part"), "planted");
}

// A file system that fills up mid-transfer: a 1 MiB tmpfs for a 4 MiB snapshot. Needs root
// (mount); skipped otherwise.
TEST_F(SaveFaultTest, FullFileSystemFailsCleanly) {
  const std::string dir = Path("small-fs");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const CommandResult mount =
      RunCommand({"mount", "-t", "tmpfs", "-o", "size=1m", "etcdsnap-test", dir}, {});
  ETCDSNAP_REQUIRE_OR_SKIP(mount.exit_code == 0, "cannot mount a tmpfs: " << mount.Describe());
  struct Unmount {
    std::string dir;
    ~Unmount() { RunCommand({"umount", "-l", dir}, {}); }
  } unmount{dir};
  Serve({.chunks = 128});  // 4 MiB
  const std::string file = dir + "/snap.db";
  const CommandResult r = Etcdsnap(Args(file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
}

// For cron: plain log lines only, ending with size, duration and throughput.
TEST_F(SaveFaultTest, NoProgressBarWhenStderrIsNotATerminal) {
  Serve({.chunks = 32, .chunk_delay = std::chrono::milliseconds(30)});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file));
  ASSERT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.Describe();
  EXPECT_NE(r.err.find("throughput"), std::string::npos) << r.Describe();
}

TEST_F(SaveFaultTest, ProgressBarWithPercentOnATerminal) {
  Serve({.chunks = 64, .chunk_delay = std::chrono::milliseconds(30)});  // ~2 s
  const std::string file = Path("snap.db");
  std::vector<std::string> argv = {EtcdsnapBinary()};
  for (const auto& a : Args(file)) argv.push_back(a);
  const CommandResult r =
      RunInTerminal(argv, "no prompt expected", "", std::chrono::milliseconds(0), kCommandTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  // The terminal turns every \n into \r\n; a progress line rewrites itself with a bare \r.
  bool rewrites_line = false;
  for (size_t i = r.out.find('\r'); i != std::string::npos; i = r.out.find('\r', i + 1)) {
    rewrites_line = rewrites_line || (i + 1 < r.out.size() && r.out[i + 1] != '\n');
  }
  EXPECT_TRUE(rewrites_line) << "no progress line\n" << r.Describe();
  EXPECT_NE(r.out.find('%'), std::string::npos) << "no percentage\n" << r.Describe();
}

TEST_F(SaveFaultTest, WrongTrailingHashExits5MentioningSha256) {
  const CommandResult r = ExpectFailsWith5(SnapshotFault::kWrongHash);
  EXPECT_NE(r.err.find("sha256"), std::string::npos) << r.Describe();
}

TEST_F(SaveFaultTest, WrongTrailingHashLeavesExistingFileUntouched) {
  Serve({.fault = SnapshotFault::kWrongHash});
  const std::string file = Path("snap.db");
  const std::string previous = "previous snapshot\n";
  WriteFileOrDie(file, previous);
  const CommandResult r = Etcdsnap(Args(file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_EQ(ReadFileOrEmpty(file), previous);
  EXPECT_FALSE(PathExists(file + ".part"));
}

// The messages are decoded by hand (client/snapshot_message.h): fields a newer server adds, of
// every wire type, must not change the bytes saved.
TEST_F(SaveFaultTest, UnknownFieldsAreSkipped) {
  const std::string unknown = std::string("\x78\x07") +  // field 15, varint
                              "\xa2\x01\x03" "abc" +     // field 20, 3 bytes
                              "\xad\x01" "1234" +         // field 21, fixed32
                              "\xb1\x01" "12345678";      // field 22, fixed64
  Serve({.chunks = 16, .extra_wire = unknown});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file));
  ASSERT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_TRUE(ReadFileOrEmpty(file) == server_->ExpectedFile());
}

// A field the decoder refuses (a group: valid protobuf, which the fake's runtime passes on, but
// never etcd's) fails the save like any broken stream: exit 5, nothing saved, and the error
// says what was wrong. Lengths past the end, overlong varints and the rest are the unit test's.
TEST_F(SaveFaultTest, RefusedMessageExits5) {
  // Field 9, start group; inside, field 1 varint 1; field 9, end group.
  Serve({.extra_wire = std::string("\x4b\x08\x01\x4c")});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r)) << r.Describe();
  EXPECT_NE(r.err.find("malformed SnapshotResponse: group field 9"), std::string::npos)
      << r.Describe();
}

TEST_F(SaveFaultTest, StreamEndingBeforeTrailerExits5) { ExpectFailsWith5(SnapshotFault::kCutOk); }

TEST_F(SaveFaultTest, StreamCutWithUnavailableExits5) {
  ExpectFailsWith5(SnapshotFault::kCutUnavailable);
}

TEST_F(SaveFaultTest, StallIsAbortedByIdleTimeout) {
  ExpectStallAbortedWithin2sBy({}, {"--idle-timeout", "2s"});
}

TEST_F(SaveFaultTest, ExplicitCommandTimeoutBoundsTheTransfer) {
  ExpectStallAbortedWithin2sBy({"--command-timeout", "2s"}, {});
}

CommandResult SaveFaultTest::ExpectFailsWith5(SnapshotFault fault,
                                              const std::vector<std::string>& global_flags,
                                              const std::vector<std::string>& save_flags) {
  Serve({.fault = fault});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(Args(file, global_flags, save_flags));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  return r;
}

void SaveFaultTest::ExpectStallAbortedWithin2sBy(const std::vector<std::string>& global_flags,
                                                 const std::vector<std::string>& save_flags) {
  const CommandResult r = ExpectFailsWith5(SnapshotFault::kStall, global_flags, save_flags);
  EXPECT_LT(r.wall, seconds(2) + seconds(10)) << r.Describe();
}

// ETCDCTL_COMMAND_TIMEOUT counts as setting --command-timeout explicitly, as in etcdctl.
TEST_F(SaveFaultTest, CommandTimeoutFromEnvironmentBoundsTheTransfer) {
  Serve({.fault = SnapshotFault::kStall});
  const std::string file = Path("snap.db");
  SubprocessOptions env;
  env.env = {{"ETCDCTL_COMMAND_TIMEOUT", "2s"}};
  const CommandResult r = Etcdsnap(Args(file), env);
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_LT(r.wall, seconds(2) + seconds(10)) << r.Describe();
}

// SIGTERM while still connecting (a listener that never answers, a long dial timeout).
TEST_F(SaveFaultTest, SigtermWhileConnectingExitsPromptlyAndLeavesNothing) {
  SilentListener silent;
  const std::string file = Path("snap.db");
  std::vector<std::string> argv = {EtcdsnapBinary(), "--endpoints", silent.Endpoint(),
                                   "--dial-timeout", "60s", "snapshot", "save", file};
  SubprocessOptions io;
  io.stderr_path = Path("save.err");
  Subprocess save(argv, io);
  // Connecting means the signals are blocked: etcdsnap blocks them before it dials.
  ASSERT_TRUE(silent.WaitForPendingConnection(seconds(30)))
      << "no connection within 30 s\n" << ReadFileOrEmpty(io.stderr_path);
  ASSERT_FALSE(save.Poll()) << ReadFileOrEmpty(io.stderr_path);
  save.Signal(SIGTERM);
  ASSERT_TRUE(save.WaitFor(seconds(10))) << "still running 10 s after SIGTERM";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  // Handled (the Error line is the cleanup's), then died of it.
  EXPECT_EQ(save.term_signal(), SIGTERM) << "exit code " << save.exit_code() << "\n" << err;
  EXPECT_NE(err.find("Error: interrupted by TERM"), std::string::npos) << err;
  EXPECT_TRUE(LeftNothingBehind(file)) << err;
}

void SaveFaultTest::SignalDuringTransfer(int sig) {
  FakeSnapshotOptions options;
  options.fault = SnapshotFault::kStall;
  Serve(options);
  const std::string file = Path("snap.db");
  std::vector<std::string> argv = {EtcdsnapBinary()};
  for (const auto& a : Args(file)) argv.push_back(a);
  SubprocessOptions io;
  io.stderr_path = Path("save.err");
  Subprocess save(argv, io);
  // The save may buffer what it received, so wait for the server side of the transfer.
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (!(server_->stalling() && PathExists(file + ".part")) &&
         std::chrono::steady_clock::now() < deadline && !save.Poll()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(save.Poll()) << "save ended before the signal\n" << ReadFileOrEmpty(io.stderr_path);
  ASSERT_TRUE(server_->stalling() && PathExists(file + ".part"))
      << "no transfer in progress after 30 s\n" << ReadFileOrEmpty(io.stderr_path);
  save.Signal(sig);
  ASSERT_TRUE(save.WaitFor(seconds(15))) << "still running 15 s after the signal";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  // Cleaned up (one Error line, no .part), then died of the signal, as etcdctl does.
  EXPECT_EQ(save.term_signal(), sig) << "exit code " << save.exit_code() << "\n" << err;
  EXPECT_NE(err.find(std::string("interrupted by ") + sigabbrev_np(sig)), std::string::npos) << err;
  EXPECT_TRUE(LeftNothingBehind(file)) << err;
}

TEST_F(SaveFaultTest, SigtermDuringTransferRemovesPart) { SignalDuringTransfer(SIGTERM); }

TEST_F(SaveFaultTest, SigintDuringTransferRemovesPart) { SignalDuringTransfer(SIGINT); }

// The terminal closing (or the ssh session dropping) under a save not started with nohup.
TEST_F(SaveFaultTest, SighupDuringTransferRemovesPart) { SignalDuringTransfer(SIGHUP); }

// Several endpoints: etcdsnap asks each for Status and saves from the reachable member with the
// highest raft applied index, a follower over the leader on a tie. Fake members make the
// indexes deterministic; `member_id`s are distinct, all name member 1 as the leader.
class SaveMemberChoiceTest : public SaveTest {
 protected:
  FakeMaintenanceServer& AddMember(uint64_t member_id, uint64_t applied_index) {
    FakeSnapshotOptions options;
    options.member_id = member_id;
    options.leader_id = 1;
    options.raft_applied_index = applied_index;
    members_.push_back(std::make_unique<FakeMaintenanceServer>(options));
    EXPECT_TRUE(members_.back()->Start());
    return *members_.back();
  }
  // Saves with --endpoints `endpoints` and checks the file is what `chosen` serves.
  CommandResult SaveExpectingMember(const std::string& endpoints, FakeMaintenanceServer& chosen) {
    const std::string file = Path("snap.db");
    const CommandResult r =
        Etcdsnap(SaveCommand({"--endpoints", endpoints, "--dial-timeout", "2s"}, file));
    EXPECT_TRUE(SavedCompleteSnapshot(r, file));
    EXPECT_EQ(chosen.snapshot_calls(), 1) << r.Describe();
    EXPECT_NE(r.err.find(chosen.Endpoint()), std::string::npos)
        << "stderr does not name the member saved from\n" << r.Describe();
    return r;
  }
  std::vector<std::unique_ptr<FakeMaintenanceServer>> members_;
};

TEST_F(SaveMemberChoiceTest, SavesFromTheHighestAppliedIndexSkippingADeadEndpoint) {
  FakeMaintenanceServer& leader = AddMember(1, 10);
  FakeMaintenanceServer& ahead = AddMember(2, 12);
  FakeMaintenanceServer& behind = AddMember(3, 9);
  const RefusedPort refused;
  const std::string dead = "http://" + refused.Endpoint();
  SaveExpectingMember(dead + ",http://" + leader.Endpoint() + ",http://" + ahead.Endpoint() +
                          ",http://" + behind.Endpoint(),
                      ahead);
  EXPECT_EQ(leader.snapshot_calls() + behind.snapshot_calls(), 0);
}

TEST_F(SaveMemberChoiceTest, PrefersAFollowerOverTheLeaderOnATie) {
  FakeMaintenanceServer& leader = AddMember(1, 12);
  FakeMaintenanceServer& follower = AddMember(2, 12);
  SaveExpectingMember("http://" + leader.Endpoint() + ",http://" + follower.Endpoint(), follower);
  EXPECT_EQ(leader.snapshot_calls(), 0);
}

}  // namespace
}  // namespace etcdsnap::testing
