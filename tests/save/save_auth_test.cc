// `etcdsnap snapshot save` against an etcd with authentication enabled: only root may take a
// snapshot, passwords are checked, and a password never shows up in the output.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstring>

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
  // `etcdsnap --user root snapshot save <file>` with no password: it prompts on a terminal.
  std::vector<std::string> PromptingArgv(const std::string& file) {
    std::vector<std::string> argv = {EtcdsnapBinary(), "--user", "root"};
    for (const auto& a : SaveArgs(file)) argv.push_back(a);
    return argv;
  }
  // The password typed `delay` after the prompt.
  void ExpectPromptedSave(std::chrono::milliseconds delay) {
    const std::string file = Path("snap.db");
    const CommandResult r = RunInTerminal(PromptingArgv(file), "Password",
                                          std::string(kRootPassword) + "\n", delay,
                                          std::chrono::seconds(30));
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

// As etcdctl, with stdin not a terminal the password is its first line: a real pipe through sh.
// stdout holds only the result (etcdctl also prints its "Password: " prompt there).
TEST_F(SaveAuthTest, PasswordOnAPipeSaves) {
  const std::string file = Path("snap.db");
  std::string command = std::string("printf '%s\\n' '") + kRootPassword + "' | '" +
                        EtcdsnapBinary() + "' --user root";
  for (const auto& a : SaveArgs(file)) command += " '" + a + "'";
  const CommandResult r = RunCommand({"sh", "-c", command}, {}, std::chrono::seconds(30));
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_EQ(r.err.find(kRootPassword), std::string::npos) << r.Describe();
}

TEST_F(SaveAuthTest, WrongPasswordOnAPipeFailsCleanly) {
  const std::string file = Path("snap.db");
  SubprocessOptions options;
  options.stdin_data = "wrong-password\n";
  EXPECT_TRUE(FailedCleanly(SaveWith({"--user", "root"}, file, options), file));
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
// stdin is /dev/null): as etcdctl, the password is stdin's empty first line; authentication
// fails clearly, never a wait for input.
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

// Started under `nohup` (SIGHUP ignored) or as a background job (SIGINT ignored), the prompt
// leaves that signal ignored: it arrives while the password is half typed, the prompt goes on
// and the whole password is used. It used to end the prompt, and the save went on with half a
// password. The rest is typed only once the signal is no longer pending (taken by a handler, or
// discarded as ignored): typed at once, it could be read before the handler ran.
TEST_F(SaveAuthTest, SignalIgnoredAtStartDoesNotEndThePrompt) {
  const std::string pw = kRootPassword;
  for (const int sig : {SIGHUP, SIGINT}) {
    SCOPED_TRACE(sigabbrev_np(sig));
    const std::string file = Path(std::string("snap-") + sigabbrev_np(sig) + ".db");
    TerminalSession t(PromptingArgv(file), {sig});
    ASSERT_TRUE(t.WaitForOutput("Password: ", std::chrono::seconds(10))) << t.output();
    t.Type(pw.substr(0, 5));
    t.Signal(sig);
    ASSERT_TRUE(WaitUntilNotPending(t.pid(), sig, std::chrono::seconds(10))) << t.output();
    t.Type(pw.substr(5) + "\n");
    EXPECT_EQ(t.Wait(std::chrono::seconds(30)), 0) << t.output();
    EXPECT_EQ(ReadFileOrEmpty(file).size() % 512, 32u) << t.output();
  }
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

// Passwords without a server: what other local users can see, and the prompt on a terminal.
class PasswordHygieneTest : public SaveTest {
 protected:
  static constexpr char kSecret[] = "secret123";
  const RefusedPort refused_;
};

// /proc/<pid>/cmdline (what `ps` shows every local user) must not hold the password while the
// save runs, whichever way and wherever it was given. The save connects to a listener that never
// answers; once it is connecting, argv has long been parsed.
TEST_F(PasswordHygieneTest, PasswordIsNotInTheProcessList) {
  const std::string pw = kSecret;
  const struct {
    const char* what;
    std::vector<std::string> global_flags;
    std::vector<std::string> save_flags;
  } cases[] = {
      {"--password pw", {"--user", "root", "--password", pw}, {}},
      {"--password=pw", {"--user", "root", "--password=" + pw}, {}},
      {"--user name:pw", {"--user", "root:" + pw}, {}},
      {"--user=name:pw", {"--user=root:" + pw}, {}},
      {"after the subcommand", {}, {"--user", "root", "--password", pw}},
      {"--user=name:pw after the subcommand", {}, {"--user=root:" + pw}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    SilentListener silent;
    std::vector<std::string> global = c.global_flags;
    global.insert(global.end(), {"--endpoints", silent.Endpoint(), "--dial-timeout", "60s"});
    std::vector<std::string> argv = {EtcdsnapBinary()};
    for (const auto& a : SaveCommand(global, Path("snap.db"), c.save_flags)) argv.push_back(a);
    SubprocessOptions io;
    io.stderr_path = Path("save.err");
    Subprocess save(argv, io);
    ASSERT_TRUE(silent.WaitForPendingConnection(std::chrono::seconds(30)))
        << ReadFileOrEmpty(io.stderr_path);
    std::string cmdline = ReadFileOrEmpty("/proc/" + std::to_string(save.pid()) + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    EXPECT_EQ(cmdline.find(kSecret), std::string::npos) << cmdline;
    EXPECT_NE(cmdline.find("root"), std::string::npos) << "the user name may stay\n" << cmdline;
  }
}

// `--user root` on a terminal prompts with echo off; the command then fails to connect (2).
std::vector<std::string> PromptingSave(const std::string& endpoint, const std::string& file) {
  return {EtcdsnapBinary(), "--user", "root", "--endpoints", endpoint, "--dial-timeout", "1s",
          "snapshot", "save", file};
}

// A signal that ends the process at the prompt must not leave the terminal without echo (the
// user's shell would then hide everything typed).
TEST_F(PasswordHygieneTest, SignalThatEndsThePromptRestoresEcho) {
  for (const int sig : {SIGHUP, SIGQUIT, SIGINT, SIGTERM}) {
    SCOPED_TRACE(sigabbrev_np(sig));
    TerminalSession t(PromptingSave(refused_.Endpoint(), Path("snap.db")));
    ASSERT_TRUE(t.WaitForOutput("Password: ", std::chrono::seconds(10))) << t.output();
    EXPECT_FALSE(t.EchoOn()) << "echo on at the prompt";
    t.Signal(sig);
    EXPECT_EQ(t.Wait(std::chrono::seconds(10)), 128 + sig) << t.output();
    EXPECT_TRUE(t.EchoOn()) << "the terminal was left without echo";
    EXPECT_TRUE(LeftNothingBehind(Path("snap.db")));
  }
}

// Ctrl-Z at the prompt: as ssh and sudo do, the terminal gets its echo back while the command
// is stopped, and on `fg` echo goes off again and the prompt starts over.
TEST_F(PasswordHygieneTest, StopAtThePromptRestoresEchoAndPromptsAgainOnContinue) {
  TerminalSession t(PromptingSave(refused_.Endpoint(), Path("snap.db")));
  ASSERT_TRUE(t.WaitForOutput("Password: ", std::chrono::seconds(10))) << t.output();
  t.Signal(SIGTSTP);
  ASSERT_TRUE(t.WaitStopped(std::chrono::seconds(10))) << t.output();
  EXPECT_TRUE(t.EchoOn()) << "stopped with the terminal's echo off";
  t.Signal(SIGCONT);
  ASSERT_TRUE(t.WaitForOutput("Password: ", std::chrono::seconds(10)))
      << "no new prompt after SIGCONT\n" << t.output();
  EXPECT_FALSE(t.EchoOn()) << "echo on at the new prompt";
  t.Type(std::string(kSecret) + "\n");
  EXPECT_EQ(t.Wait(std::chrono::seconds(30)), 2) << t.output();
  EXPECT_EQ(t.output().find(kSecret), std::string::npos) << "password echoed\n" << t.output();
}

}  // namespace
}  // namespace etcdsnap::testing

namespace etcdsnap::testing {
namespace {

// Under --client-cert-auth with auth on and no --user, etcd takes the client certificate's CN
// ("client") as the user. That user lacks the root role: the error names it, not "(none)".
class SaveCertUserTest : public SaveTest {
 protected:
  void SetUp() override {
    StartEtcd();
    ASSERT_TRUE(etcd().Client().EnableAuth(kRootPassword, "client", kUserPassword).ok());
  }
};

TEST_F(SaveCertUserTest, NonRootCertificateUserIsNamed) {
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveArgs(file));
  EXPECT_TRUE(FailedCleanly(r, file));
  EXPECT_NE(r.err.find("user client (the CN of the --cert certificate) does not have it"),
            std::string::npos)
      << r.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
