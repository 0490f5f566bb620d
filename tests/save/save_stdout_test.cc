// `etcdsnap snapshot save -`: the snapshot goes to stdout for a pipe (`| aws s3 cp - s3://...`),
// raw or compressed, with the sha256 trailer still checked: a wrong one makes the exit status
// non-zero, so the pipeline (with pipefail) fails. A terminal on stdout is refused.
#include <gtest/gtest.h>

#include "fake_maintenance_server.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

class SaveStdoutTest : public SaveTest {
 protected:
  // `etcdsnap <args> | cat > out` in bash with pipefail: the status is the pipeline's.
  CommandResult ThroughPipe(const std::vector<std::string>& args, const std::string& out) {
    std::string line = "set -o pipefail; '" + EtcdsnapBinary() + "'";
    for (const std::string& a : args) line += " '" + a + "'";
    line += " | cat > '" + out + "'";
    return RunCommand({"bash", "-c", line}, {}, kCommandTimeout);
  }
};

TEST_F(SaveStdoutTest, PipeReceivesExactlyTheSnapshotRawOrCompressed) {
  StartEtcd({.tls = false});
  const std::string ep = etcd().member(0).Endpoint();
  const std::string file = Path("file.db");
  ASSERT_EQ(Etcdsnap({"--endpoints", ep, "snapshot", "save", file}).exit_code, 0);
  const std::string piped = Path("piped.db");
  CommandResult r = ThroughPipe({"--endpoints", ep, "snapshot", "save", "-"}, piped);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFileOrEmpty(piped), ReadFileOrEmpty(file));  // the same bytes as a saved file
  EXPECT_NE(r.err.find("saved path=(stdout)"), std::string::npos) << r.Describe();
  // Compressed on the way: zstd's own tool gives the snapshot back.
  const std::string zst = Path("piped.db.zst");
  r = ThroughPipe({"--endpoints", ep, "snapshot", "save", "-", "--compress", "zstd"}, zst);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  CommandResult unz = RunCommand({"bash", "-c", "zstd -dc '" + zst + "'"}, {}, kCommandTimeout);
  ASSERT_EQ(unz.exit_code, 0) << unz.Describe();
  EXPECT_TRUE(unz.out == ReadFileOrEmpty(file));
  EXPECT_FALSE(PathExists("-"));
  EXPECT_FALSE(PathExists("-.part"));
}

TEST_F(SaveStdoutTest, WrongTrailerThroughAPipeFailsThePipeline) {
  FakeMaintenanceServer server({.fault = SnapshotFault::kWrongHash});
  ASSERT_TRUE(server.Start());
  const std::string piped = Path("piped.db");
  CommandResult r =
      ThroughPipe({"--endpoints", "http://" + server.Endpoint(), "snapshot", "save", "-"}, piped);
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_NE(r.err.find("sha256 checksum mismatch"), std::string::npos) << r.Describe();
  // Review (issue #12): the trailer is held back until it checks out, so the reader never
  // gets a complete-looking file (cron's /bin/sh has no pipefail to save it).
  EXPECT_EQ(ReadFileOrEmpty(piped), server.image());
  // Compressed: the frame is never finished, so the consumer sees a truncated stream.
  const std::string zst = Path("piped.db.zst");
  r = ThroughPipe({"--endpoints", "http://" + server.Endpoint(), "snapshot", "save", "-",
                   "--compress", "zstd"},
                  zst);
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  const CommandResult test = RunCommand({"zstd", "-t", "-q", zst}, {}, kCommandTimeout);
  EXPECT_NE(test.exit_code, 0) << test.Describe();
  EXPECT_NE(test.err.find("unexpected end of file"), std::string::npos) << test.Describe();
}

TEST_F(SaveStdoutTest, TerminalOnStdoutAndVerifyAreRefused) {
  const std::vector<std::string> argv = {EtcdsnapBinary(), "--endpoints", "127.0.0.1:1",
                                         "snapshot", "save", "-"};
  const CommandResult tty =
      RunInTerminal(argv, "no prompt expected", "", std::chrono::milliseconds(0), kCommandTimeout);
  EXPECT_EQ(tty.exit_code, 128) << tty.Describe();
  EXPECT_NE(tty.out.find("refusing to write a snapshot to a terminal"), std::string::npos)
      << tty.Describe();
  CommandResult verify =
      ThroughPipe({"--endpoints", "127.0.0.1:1", "snapshot", "save", "-", "--verify"},
                  Path("x.db"));
  EXPECT_EQ(verify.exit_code, 128) << verify.Describe();
  EXPECT_NE(verify.err.find("--verify needs a file"), std::string::npos) << verify.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
