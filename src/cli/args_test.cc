#include "etcdsnap/cli/args.h"

#include <gtest/gtest.h>

#include "etcdsnap/cli/command.h"

namespace etcdsnap::cli {
namespace {

CommandLine Parse(std::vector<std::string> argv) {
  auto r = ParseCommandLine(argv);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : CommandLine{};
}

std::string ParseError(std::vector<std::string> argv) {
  auto r = ParseCommandLine(argv);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

GlobalOptions Globals(std::vector<std::string> argv) {
  GlobalOptions g;
  ApplyCommandLine(Parse(std::move(argv)), g);
  return g;
}

using V = std::vector<std::string>;

TEST(ParseCommandLineTest, GlobalFlagsAnywhereInBothForms) {
  for (const V& argv : {V{"--endpoints", "h:1", "snapshot", "save", "b.db"},
                        V{"snapshot", "--endpoints", "h:1", "save", "b.db"},
                        V{"snapshot", "save", "--endpoints", "h:1", "b.db"},
                        V{"snapshot", "save", "b.db", "--endpoints", "h:1"},
                        V{"snapshot", "save", "b.db", "--endpoints=h:1"}}) {
    const CommandLine cl = Parse(argv);
    EXPECT_EQ(cl.command, (V{"snapshot", "save"}));
    EXPECT_EQ(cl.args, V{"b.db"});
    EXPECT_EQ(Globals(argv).endpoints, V{"h:1"});
  }
}

TEST(ParseCommandLineTest, EveryWriteOutForm) {
  for (const V& argv : {V{"-w", "json", "snapshot", "status", "f"},
                        V{"-w=json", "snapshot", "status", "f"},
                        V{"-wjson", "snapshot", "status", "f"},
                        V{"--write-out", "json", "snapshot", "status", "f"},
                        V{"--write-out=json", "snapshot", "status", "f"},
                        V{"snapshot", "status", "f", "-w", "json"}}) {
    EXPECT_EQ(Globals(argv).write_out, "json");
    EXPECT_EQ(Parse(argv).args, V{"f"});
  }
}

TEST(ParseCommandLineTest, RepeatedFlagTakesTheLastValueAndEndpointsAppend) {
  GlobalOptions g = Globals({"--cacert", "a", "--cacert", "b", "snapshot", "save", "f"});
  EXPECT_EQ(g.cacert, "b");
  g = Globals({"--endpoints", "a:1", "snapshot", "save", "f", "--endpoints=b:2,c:3"});
  EXPECT_EQ(g.endpoints, (V{"a:1", "b:2", "c:3"}));
  g = Globals({"--endpoints=", "snapshot", "save", "f"});
  EXPECT_TRUE(g.endpoints.empty());
  g = Globals({"snapshot", "save", "f"});
  EXPECT_EQ(g.endpoints, V{"127.0.0.1:2379"});
  EXPECT_FALSE(g.WasSet("endpoints"));
}

TEST(ParseCommandLineTest, BoolFlagsTakeNoSeparateValue) {
  const CommandLine cl = Parse({"--debug", "snapshot", "save", "f", "--insecure-transport=F"});
  const GlobalOptions g = Globals({"--debug", "snapshot", "save", "f", "--insecure-transport=F"});
  EXPECT_TRUE(g.debug);
  EXPECT_FALSE(g.insecure_transport);
  EXPECT_EQ(cl.args, V{"f"});
  EXPECT_EQ(ParseError({"--debug=yes", "snapshot", "save", "f"}),
            "invalid argument \"yes\" for \"--debug\" flag: not a boolean (use true or false)");
}

TEST(ParseCommandLineTest, ShorthandsAndDashDash) {
  GlobalOptions g = Globals({"-dexample.com", "snapshot", "save", "f"});
  EXPECT_EQ(g.discovery_srv, "example.com");
  g = Globals({"-d", "example.com", "snapshot", "save", "f"});
  EXPECT_EQ(g.discovery_srv, "example.com");
  CommandLine cl = Parse({"-hw", "json", "snapshot"});
  EXPECT_TRUE(cl.help);
  EXPECT_EQ(cl.Last("write-out"), "json");
  cl = Parse({"snapshot", "save", "--", "--endpoints"});
  EXPECT_EQ(cl.args, V{"--endpoints"});
  cl = Parse({"snapshot", "save", "-"});
  EXPECT_EQ(cl.args, V{"-"});
}

TEST(ParseCommandLineTest, LocalFlagsOfTheChosenCommandOnly) {
  CommandLine cl = Parse({"snapshot", "--idle-timeout", "5s", "save", "f", "--verify"});
  EXPECT_EQ(cl.Last("idle-timeout"), "5s");
  EXPECT_EQ(cl.Last("verify"), "true");
  EXPECT_EQ(ParseError({"snapshot", "status", "f", "--verify"}),
            "unknown flag: --verify (it belongs to etcdsnap snapshot save)");
}

// --keep-* belong to save and prune; --quiet and --log-format to every command, and they are not
// etcdctl's globals (no ETCDCTL_* variable).
TEST(ParseCommandLineTest, FlagsSharedBySeveralCommands) {
  EXPECT_EQ(Parse({"snapshot", "save", "f", "--keep-last", "3"}).Last("keep-last"), "3");
  EXPECT_EQ(Parse({"snapshot", "prune", "f", "--keep-daily=7", "--dry-run"}).Last("dry-run"),
            "true");
  EXPECT_EQ(ParseError({"snapshot", "status", "f", "--keep-last", "3"}),
            "unknown flag: --keep-last (it belongs to etcdsnap snapshot save or etcdsnap "
            "snapshot prune)");
  EXPECT_EQ(Parse({"--quiet", "snapshot", "status", "f"}).Last("quiet"), "true");
  EXPECT_EQ(Parse({"snapshot", "verify", "f", "--log-format", "json"}).Last("log-format"), "json");
  GlobalOptions g;
  ApplyCommandLine(Parse({"--quiet", "snapshot", "save", "f"}), g);
  EXPECT_TRUE(g.cli_flags.empty());
  EXPECT_EQ(Parse({"snap", "pr", "t", "--keep-last", "1"}).command,
            (std::vector<std::string>{"snapshot", "prune"}));
}

TEST(ParseCommandLineTest, DurationsAreGoDurations) {
  EXPECT_EQ(Globals({"--dial-timeout=-1s", "snapshot", "save", "f"}).dial_timeout, "-1s");
  EXPECT_EQ(Globals({"--dial-timeout", "10us", "snapshot", "save", "f"}).dial_timeout, "10us");
  EXPECT_EQ(ParseError({"--dial-timeout=xx", "snapshot", "save", "f"}).rfind(
                "invalid argument \"xx\" for \"--dial-timeout\" flag: ", 0),
            0u);
  auto d = ParseSignedGoDuration("-1m30s");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->count(), -90'000'000'000);
}

TEST(ParseCommandLineTest, Errors) {
  EXPECT_EQ(ParseError({"--foo", "snapshot", "save", "f"}), "unknown flag: --foo");
  EXPECT_EQ(ParseError({"-x", "snapshot"}), "unknown shorthand flag: 'x' in -x");
  EXPECT_EQ(ParseError({"snapshot", "save", "--cacert"}), "flag needs an argument: --cacert");
  EXPECT_EQ(ParseError({"snapshot", "save", "-w"}), "flag needs an argument: 'w' in -w");
  EXPECT_EQ(ParseError({"foo"}), "unknown command \"foo\" for \"etcdsnap\" (see etcdsnap --help)");
  EXPECT_EQ(ParseError({"snapshot", "restory"}),
            "unknown command \"restory\" for \"etcdsnap snapshot\" (see etcdsnap snapshot --help)");
}

TEST(ParseCommandLineTest, RestoreFlagsAsEtcdutlTakesThem) {
  CommandLine cl = Parse({"snapshot", "restore", "s.db", "--data-dir", "/var/lib/etcd",
                          "--name=m1", "--bump-revision", "1_000", "--mark-compacted",
                          "--skip-hash-check", "--initial-cluster", "m1=http://a:2380"});
  EXPECT_EQ(cl.command, (V{"snapshot", "restore"}));
  EXPECT_EQ(cl.args, V{"s.db"});
  EXPECT_EQ(cl.Last("data-dir"), "/var/lib/etcd");
  EXPECT_EQ(cl.Last("name"), "m1");
  EXPECT_EQ(cl.Last("bump-revision"), "1000");
  EXPECT_EQ(cl.Last("mark-compacted"), "true");
  EXPECT_EQ(cl.Last("skip-hash-check"), "true");
  EXPECT_EQ(Parse({"snap", "r", "s.db"}).command, (V{"snapshot", "restore"}));
  EXPECT_EQ(Parse({"snapshot", "restore", "s.db", "--bump-revision=0x10"}).Last("bump-revision"),
            "16");
  EXPECT_EQ(ParseError({"snapshot", "restore", "s.db", "--bump-revision", "-1"}),
            "invalid argument \"-1\" for \"--bump-revision\" flag: strconv.ParseUint: parsing "
            "\"-1\": invalid syntax");
  EXPECT_EQ(ParseError({"snapshot", "save", "s.db", "--data-dir", "x"}),
            "unknown flag: --data-dir (it belongs to etcdsnap snapshot restore)");
  EXPECT_NE(HelpText({"snapshot", "restore"}).find("--initial-advertise-peer-urls"),
            std::string::npos);
}

TEST(ParseGoUint64Test, AsStrconvParseUintWithBaseZero) {
  struct Case {
    const char* in;
    uint64_t out;
  };
  for (const Case& c : {Case{"0", 0}, Case{"1000", 1000}, Case{"1_000", 1000}, Case{"0x1f", 31},
                        Case{"0X_1F", 31}, Case{"017", 15}, Case{"0o17", 15}, Case{"0b101", 5},
                        Case{"0_7", 7}, Case{"18446744073709551615", UINT64_MAX}}) {
    auto r = ParseGoUint64(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().message();
    EXPECT_EQ(*r, c.out) << c.in;
  }
  for (const char* bad : {"", "-1", "+1", "08", "0x", "1__0", "_1", "1_", "1e3", " 1", "0b2"}) {
    auto r = ParseGoUint64(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("invalid syntax"), std::string::npos) << bad;
  }
  auto big = ParseGoUint64("18446744073709551616");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("value out of range"), std::string::npos);
}

TEST(ParseCommandLineTest, CommandsByUniquePrefixVersionAndHelp) {
  EXPECT_EQ(Parse({"snap", "sav", "f"}).command, (V{"snapshot", "save"}));
  EXPECT_EQ(Parse({"snapshot", "st", "f"}).command, (V{"snapshot", "status"}));
  EXPECT_FALSE(ParseCommandLine({"snapshot", "s", "f"}).ok());  // save, status: ambiguous
  EXPECT_EQ(Parse({"version"}).command, V{"version"});
  EXPECT_EQ(Parse({"--version"}).Last("version"), "true");
  CommandLine cl = Parse({"help", "snapshot", "save"});
  EXPECT_TRUE(cl.help);
  EXPECT_EQ(cl.command, (V{"snapshot", "save"}));
  cl = Parse({"snapshot", "save", "--help"});
  EXPECT_TRUE(cl.help);
  EXPECT_EQ(Parse({}).command, V{});
  EXPECT_NE(HelpText({"snapshot", "save"}).find("--idle-timeout"), std::string::npos);
  EXPECT_NE(HelpText({"snapshot", "save"}).find("--endpoints"), std::string::npos);
}

}  // namespace
}  // namespace etcdsnap::cli

namespace etcdsnap::cli {
namespace {

TEST(ParseGoInt64Test, AsStrconvParseIntWithBaseZero) {
  struct Case {
    const char* in;
    int64_t out;
  };
  for (const Case& c : {Case{"0", 0}, Case{"-1", -1}, Case{"+7", 7}, Case{"0x10", 16},
                        Case{"-0x10", -16}, Case{"9223372036854775807", INT64_MAX},
                        Case{"-9223372036854775808", INT64_MIN}}) {
    auto r = ParseGoInt64(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().message();
    EXPECT_EQ(*r, c.out) << c.in;
  }
  for (const char* bad : {"", "-", "--1", "1.5", "x"}) {
    auto r = ParseGoInt64(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("strconv.ParseInt: parsing"), std::string::npos) << bad;
    EXPECT_NE(r.status().message().find("invalid syntax"), std::string::npos) << bad;
  }
  for (const char* big : {"9223372036854775808", "-9223372036854775809"}) {
    auto r = ParseGoInt64(big);
    ASSERT_FALSE(r.ok()) << big;
    EXPECT_NE(r.status().message().find("value out of range"), std::string::npos) << big;
  }
}

TEST(ParseCommandLineTest, HashKvFlags) {
  CommandLine cl = Parse({"snapshot", "hashkv", "f.db", "--rev", "0x10", "--compact-rev=5",
                          "--etcd-version", "3.4.23", "--cluster"});
  EXPECT_EQ(cl.command, (V{"snapshot", "hashkv"}));
  EXPECT_EQ(cl.Last("rev"), "16");
  EXPECT_EQ(cl.Last("compact-rev"), "5");
  EXPECT_EQ(cl.Last("etcd-version"), "3.4.23");
  EXPECT_EQ(cl.Last("cluster"), "true");
  EXPECT_EQ(Parse({"snap", "hash", "f"}).command, (V{"snapshot", "hashkv"}));
  EXPECT_NE(ParseError({"snapshot", "hashkv", "f", "--rev", "x"}).find("invalid argument \"x\""),
            std::string::npos);
  EXPECT_EQ(ParseError({"snapshot", "status", "f", "--rev", "3"}),
            "unknown flag: --rev (it belongs to etcdsnap snapshot hashkv)");
  EXPECT_EQ(Parse({"snapshot", "save", "f", "--check-cluster"}).Last("check-cluster"), "true");
}

TEST(ParseCommandLineTest, InspectFlags) {
  CommandLine cl = Parse({"snap", "ins", "f.db", "--prefix", "/kubernetes.io,/openshift.io",
                          "--prefix=/registry", "--top", "0x3", "-w", "json"});
  EXPECT_EQ(cl.command, (V{"snapshot", "inspect"}));
  EXPECT_EQ(cl.args, (V{"f.db"}));
  EXPECT_EQ(cl.flags.at("prefix"), (V{"/kubernetes.io,/openshift.io", "/registry"}));
  EXPECT_EQ(cl.Last("top"), "3");
  EXPECT_NE(ParseError({"snapshot", "inspect", "f", "--top", "-1"}).find("invalid argument"),
            std::string::npos);
  EXPECT_EQ(ParseError({"snapshot", "status", "f", "--top", "3"}),
            "unknown flag: --top (it belongs to etcdsnap snapshot inspect)");
  EXPECT_NE(HelpText({"snapshot"}).find("inspect"), std::string::npos);
  EXPECT_NE(HelpText({"snapshot", "inspect"}).find("--prefix=[/registry]"), std::string::npos)
      << HelpText({"snapshot", "inspect"});
}

TEST(ParseCommandLineTest, DiffFlags) {
  CommandLine cl = Parse({"snapshot", "diff", "a.db", "b.db", "--keys", "--resource", "pods",
                          "--all", "--prefix", "/kubernetes.io"});
  EXPECT_EQ(cl.command, (V{"snapshot", "diff"}));
  EXPECT_EQ(cl.args, (V{"a.db", "b.db"}));
  EXPECT_EQ(cl.Last("keys"), "true");
  EXPECT_EQ(cl.Last("resource"), "pods");
  EXPECT_EQ(cl.Last("all"), "true");
  EXPECT_EQ(cl.Last("prefix"), "/kubernetes.io");
  EXPECT_EQ(Parse({"snap", "d", "a", "b"}).command, (V{"snapshot", "diff"}));
  EXPECT_EQ(ParseError({"snapshot", "inspect", "f", "--keys"}),
            "unknown flag: --keys (it belongs to etcdsnap snapshot diff)");
}

// status and hashkv each have an --etcd-version with their own default and help.
TEST(ParseCommandLineTest, SameFlagNameForTwoCommands) {
  EXPECT_EQ(Parse({"snapshot", "status", "f", "--etcd-version", "3.6"}).Last("etcd-version"), "3.6");
  EXPECT_EQ(Parse({"--etcd-version", "3.5", "snapshot", "hashkv", "f"}).Last("etcd-version"), "3.5");
  const std::string status_help = HelpText({"snapshot", "status"});
  const std::string hashkv_help = HelpText({"snapshot", "hashkv"});
  EXPECT_NE(status_help.find("--etcd-version=\"3.4\""), std::string::npos) << status_help;
  EXPECT_NE(hashkv_help.find("--etcd-version=\"latest\""), std::string::npos) << hashkv_help;
  EXPECT_EQ(hashkv_help.find("--etcd-version=\"3.4\""), std::string::npos) << hashkv_help;
  EXPECT_NE(hashkv_help.find("--compact-rev=0"), std::string::npos) << hashkv_help;
  EXPECT_NE(HelpText({"snapshot"}).find("hashkv"), std::string::npos);
}

}  // namespace
}  // namespace etcdsnap::cli
