// `etcdsnap snapshot save` against an etcd with authentication enabled: only root may take a
// snapshot, passwords are checked, and a password never shows up in the output.
#include <gtest/gtest.h>

#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

constexpr char kRootPassword[] = "r00t-S3cret-pw";
constexpr char kUserPassword[] = "al1ce-S3cret-pw";

class SaveAuthTest : public SaveTest {
 protected:
  void SetUp() override {
    StartEtcd();
    ASSERT_TRUE(etcd().Client().EnableAuth(kRootPassword, "alice", kUserPassword).ok());
  }
  // `--user root` with no password on a terminal; the password typed `delay` after the prompt.
  void ExpectPromptedSave(std::chrono::milliseconds delay) {
    const std::string file = Path("snap.db");
    std::vector<std::string> argv = {EtcdsnapBinary(), "--user", "root"};
    for (const auto& a : SaveArgs(file)) argv.push_back(a);
    const CommandResult r = RunInTerminal(argv, "Password", std::string(kRootPassword) + "\n",
                                          delay, std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.out.find(kRootPassword), std::string::npos) << "password echoed\n" << r.Describe();
    EXPECT_EQ(ReadFileOrEmpty(file).size() % 512, 32u) << r.Describe();
  }
  // mTLS flags plus `extra`, then `snapshot save <file>`.
  CommandResult SaveWith(std::vector<std::string> extra, const std::string& file,
                         const SubprocessOptions& options = {}) {
    std::vector<std::string> args = SaveArgs(file);
    args.insert(args.begin(), extra.begin(), extra.end());
    return Etcdsnap(args, options);
  }
};

TEST_F(SaveAuthTest, RootWithPasswordInUserFlagSaves) {
  const std::string file = Path("snap.db");
  EXPECT_TRUE(SavedCompleteSnapshot(SaveWith({"--user", std::string("root:") + kRootPassword},
                                             file),
                                    file));
}

TEST_F(SaveAuthTest, RootWithPasswordFlagSaves) {
  const std::string file = Path("snap.db");
  EXPECT_TRUE(SavedCompleteSnapshot(SaveWith({"--user", "root", "--password", kRootPassword},
                                             file),
                                    file));
}

TEST_F(SaveAuthTest, WrongPasswordFailsCleanly) {
  const std::string file = Path("snap.db");
  EXPECT_TRUE(FailedCleanly(SaveWith({"--user", "root:wrong-password"}, file), file));
}

TEST_F(SaveAuthTest, NonRootUserIsRefused) {
  const std::string file = Path("snap.db");
  const CommandResult r = SaveWith({"--user", std::string("alice:") + kUserPassword}, file);
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
}

// No password anywhere and no terminal to prompt on (the child has no controlling terminal and
// stdin is /dev/null): a clear error, never a wait for input.
TEST_F(SaveAuthTest, UserWithoutPasswordAndNoTerminalFailsClearly) {
  const std::string file = Path("snap.db");
  const CommandResult save = SaveWith({"--user", "root"}, file);
  EXPECT_TRUE(FailedCleanly(save, file));
  EXPECT_LT(save.wall, std::chrono::seconds(20)) << save.Describe();
}

// With a terminal, `--user root` prompts for the password and reads it without echo.
TEST_F(SaveAuthTest, UserWithoutPasswordPromptsOnTheTerminalWithoutEcho) {
  ExpectPromptedSave(std::chrono::milliseconds(300));
}

// An `expect` script (or a paste) types the moment the prompt shows: the password must be
// neither echoed nor discarded (discarding it leaves the save waiting for input for ever).
TEST_F(SaveAuthTest, PasswordTypedAsSoonAsThePromptShowsIsNotEchoedNorLost) {
  ExpectPromptedSave(std::chrono::milliseconds(0));
}

TEST_F(SaveAuthTest, PasswordNeverAppearsInOutputEvenWithDebug) {
  const std::string file = Path("snap.db");
  const CommandResult flag = SaveWith({"--debug", "--user", "root", "--password", kRootPassword},
                                      file);
  EXPECT_TRUE(SavedCompleteSnapshot(flag, file));
  EXPECT_EQ(flag.err.find(kRootPassword), std::string::npos) << flag.Describe();
  EXPECT_EQ(flag.out.find(kRootPassword), std::string::npos) << flag.Describe();

  const std::string file2 = Path("snap2.db");
  SubprocessOptions env;
  env.env = {{"ETCDCTL_USER", "root"}, {"ETCDCTL_PASSWORD", kRootPassword}};
  const CommandResult via_env = SaveWith({"--debug"}, file2, env);
  EXPECT_TRUE(SavedCompleteSnapshot(via_env, file2));
  EXPECT_EQ(via_env.err.find(kRootPassword), std::string::npos) << via_env.Describe();

  const CommandResult wrong = SaveWith({"--debug", "--user", "root:Wr0ng-S3cret"}, Path("x.db"));
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_EQ(wrong.err.find("Wr0ng-S3cret"), std::string::npos) << wrong.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
