// `etcdsnap snapshot save` when things go wrong around a real etcd: the server dies mid-transfer,
// the target cannot be written, an existing file must survive, a member of the cluster is down.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

using std::chrono::seconds;

class SaveFailureTest : public SaveTest {};

// The heaviest test of the suite: a backend of more than 200 MB, so that the transfer is still
// running when the server is killed a few MB into it.
TEST_F(SaveFailureTest, ServerKilledMidTransferExits5AndLeavesNothing) {
  EtcdOptions options;
  options.quota_backend_bytes = 4LL << 30;
  options.max_request_bytes = 3 << 20;
  StartEtcd(options);
  ASSERT_TRUE(etcd().Client().Fill(220LL << 20, 1 << 20).ok());
  etcdserverpb::StatusResponse status;
  ASSERT_TRUE(etcd().Client().MemberStatus(&status).ok());
  ASSERT_GE(status.dbsize(), 200LL << 20);

  const std::string file = Path("big.db");
  const std::string part = file + ".part";
  std::vector<std::string> argv = {EtcdsnapBinary()};
  for (const auto& a : SaveArgs(file)) argv.push_back(a);
  SubprocessOptions io;
  io.stdout_path = Path("save.out");
  io.stderr_path = Path("save.err");
  Subprocess save(argv, io);
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  long long part_size = -1;
  while (std::chrono::steady_clock::now() < deadline && !save.Poll()) {
    part_size = FileSize(part);
    if (part_size >= (4 << 20)) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // polls the .part's size
  }
  ASSERT_FALSE(save.Poll()) << "save ended (exit " << save.exit_code()
                            << ") before the server could be killed; .part was " << part_size
                            << " bytes\n" << ReadFileOrEmpty(io.stderr_path);
  ASSERT_GE(part_size, 4 << 20) << "no transfer within 120 s\n" << ReadFileOrEmpty(io.stderr_path);
  etcd().member(0).Kill();
  ASSERT_TRUE(save.WaitFor(seconds(60))) << "save hangs after the server died";
  const std::string err = ReadFileOrEmpty(io.stderr_path);
  EXPECT_EQ(save.exit_code(), 5) << err;
  EXPECT_TRUE(LeftNothingBehind(file)) << err;
  CommandResult r;
  r.exit_code = save.exit_code();
  r.err = err;
  EXPECT_TRUE(HasOneErrorLine(r));
}

TEST_F(SaveFailureTest, ExistingFileSurvivesFailedSave) {
  const std::string file = Path("snap.db");
  const std::string precious = "the previous backup, which must stay as it is\n";
  WriteFileOrDie(file, precious);
  const RefusedPort refused;
  const CommandResult r =
      Etcdsnap(SaveCommand({"--endpoints", refused.Endpoint(), "--dial-timeout", "1s"}, file));
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r));
  EXPECT_EQ(ReadFileOrEmpty(file), precious);
  EXPECT_FALSE(PathExists(file + ".part"));
}

// Tests run as root, which ignores permission bits: unwritable means a directory that does not
// exist, or a "directory" that is a regular file.
TEST_F(SaveFailureTest, UnwritableTargetDirectoryFailsCleanly) {
  StartEtcd();
  const std::string missing_dir = Path("no/such/dir/snap.db");
  EXPECT_TRUE(FailedCleanly(Etcdsnap(SaveArgs(missing_dir)), missing_dir));

  const std::string regular = Path("regular-file");
  WriteFileOrDie(regular, "x");
  const std::string under_file = regular + "/snap.db";
  EXPECT_TRUE(FailedCleanly(Etcdsnap(SaveArgs(under_file)), under_file));
  EXPECT_EQ(ReadFileOrEmpty(regular), "x");
}

TEST_F(SaveFailureTest, TargetThatIsADirectoryFailsAndStaysADirectory) {
  StartEtcd();
  const std::string dir = Path("adir");
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  const CommandResult r = Etcdsnap(SaveArgs(dir));
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r));
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_FALSE(PathExists(dir + ".part"));
}

// etcdctl refuses several endpoints; we save from a live member and say which.
TEST_F(SaveFailureTest, ThreeEndpointsWithOneDownSavesFromALiveMember) {
  EtcdOptions options;
  options.members = 3;
  StartEtcd(options);
  ASSERT_TRUE(etcd().Client(1).Put("k", "v").ok());
  std::vector<std::string> flags = {"--endpoints", etcd().Endpoints(), "--dial-timeout", "2s"};
  for (const auto& f : TlsFlags()) flags.push_back(f);

  const std::string all_up = Path("all-up.db");
  EXPECT_TRUE(SavedCompleteSnapshot(Etcdsnap(SaveCommand(flags, all_up)), all_up));

  etcd().member(0).Kill();
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(flags, file));
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  const bool names_live_member =
      r.err.find(std::to_string(etcd().member(1).client_port())) != std::string::npos ||
      r.err.find(std::to_string(etcd().member(2).client_port())) != std::string::npos;
  EXPECT_TRUE(names_live_member) << "stderr does not say which member was used\n" << r.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
