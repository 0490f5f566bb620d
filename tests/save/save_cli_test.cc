// `etcdsnap snapshot save` argument and environment handling, matched to etcdctl's exit codes
// and messages. None of these needs a server.
#include <gtest/gtest.h>

#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

class SaveCliTest : public SaveTest {
 protected:
  // An endpoint nothing listens on, with a short dial timeout: the tests must fail before
  // dialing, and if they do not, they fail quickly.
  std::vector<std::string> Unreachable() const {
    return {"--endpoints", refused_.Endpoint(), "--dial-timeout", "1s"};
  }
  const RefusedPort refused_;
};

TEST_F(SaveCliTest, BadOutputFormatExits4) {
  const std::string file = Path("snap.db");
  std::vector<std::string> args = Unreachable();
  args.insert(args.end(), {"-w", "bogus"});
  const CommandResult r = Etcdsnap(SaveCommand(args, file));
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r));
  EXPECT_TRUE(LeftNothingBehind(file));
}

TEST_F(SaveCliTest, NoFileArgumentExits128) {
  std::vector<std::string> args = Unreachable();
  args.insert(args.end(), {"snapshot", "save"});
  const CommandResult r = Etcdsnap(args);
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_NE(r.err.find("Error: snapshot save expects one argument"), std::string::npos)
      << r.Describe();
}

TEST_F(SaveCliTest, TwoFileArgumentsExit128AndWriteNothing) {
  std::vector<std::string> args = SaveCommand(Unreachable(), Path("a.db"));
  args.push_back(Path("b.db"));
  const CommandResult r = Etcdsnap(args);
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_NE(r.err.find("Error: snapshot save expects one argument"), std::string::npos)
      << r.Describe();
  EXPECT_TRUE(LeftNothingBehind(Path("a.db")));
  EXPECT_TRUE(LeftNothingBehind(Path("b.db")));
}

TEST_F(SaveCliTest, FlagAndItsEnvironmentVariableBothSetExits1) {
  SubprocessOptions options;
  options.env = {{"ETCDCTL_ENDPOINTS", refused_.Endpoint()}};
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(Unreachable(), file), options);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("conflicting environment variable \"ETCDCTL_ENDPOINTS\" is shadowed by "
                       "corresponding command-line flag"),
            std::string::npos)
      << r.Describe();
  EXPECT_TRUE(LeftNothingBehind(file));
}

TEST_F(SaveCliTest, EmptyCertFlagExits128) {
  std::vector<std::string> args = Unreachable();
  args.push_back("--cert=");
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(args, file));
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_NE(r.err.find("empty string is passed to --cert option"), std::string::npos)
      << r.Describe();
  EXPECT_TRUE(LeftNothingBehind(file));
}

TEST_F(SaveCliTest, UnreadableCaFileExits128) {
  std::vector<std::string> args = Unreachable();
  args.insert(args.end(), {"--cacert", Path("no-such-ca.crt")});
  const std::string file = Path("snap.db");
  const CommandResult r = Etcdsnap(SaveCommand(args, file));
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r));
  EXPECT_TRUE(LeftNothingBehind(file));
}

TEST_F(SaveCliTest, UnsupportedApiVersionIsRejected) {
  // As etcdctl: 2 selects its v2 front end, which has no snapshot command (exit 3); any other
  // value exits 1.
  for (const auto& [api, code] : {std::pair<std::string, int>{"2", 3}, {"4", 1}}) {
    SubprocessOptions options;
    options.env = {{"ETCDCTL_API", api}};
    const std::string file = Path("snap.db");
    const CommandResult r = Etcdsnap(SaveCommand(Unreachable(), file), options);
    EXPECT_EQ(r.exit_code, code) << r.Describe();  // docs/compat.md
    EXPECT_TRUE(HasOneErrorLine(r));
    EXPECT_EQ(r.err.rfind("Error: unsupported API version " + api + " (", 0), 0u) << r.Describe();
    EXPECT_TRUE(LeftNothingBehind(file));
  }
}

}  // namespace
}  // namespace etcdsnap::testing
