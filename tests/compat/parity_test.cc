// The parity table: each row is a command line people run with etcdctl. It runs through etcdctl
// 3.4 and through etcdsnap against the same servers (one plaintext, one mTLS) or the same file,
// and their exit codes and stdout must be equal. A row marked as a documented difference asserts
// etcdsnap's own result instead, and docs/compat.md must carry its line (the `doc` text).
//
// Placeholders in a row's arguments and environment: {E} the plaintext member's host:port,
// {TE} the TLS member's host:port, {CA} {CERT} {KEY} its client credentials, {OUT} a fresh file
// name per tool (stdout is compared with it put back as {OUT}), {S1} tests/data/s1.db, {DIR} a
// directory, {EMPTY} an empty file, {TEXT} a text file, {OTHERCA} a CA that signed nothing used.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "etcd_cluster.h"
#include "pki.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

struct Row {
  const char* name;
  std::vector<std::string> args;
  std::map<std::string, std::string> env = {};
  // Documented difference: etcdsnap's expected exit code and stdout (or stdout prefix), and the
  // text docs/compat.md must contain for it.
  std::optional<int> ours_code = std::nullopt;
  std::optional<std::string> ours_out = std::nullopt;
  bool ours_out_is_prefix = false;
  const char* doc = nullptr;
};

const Row kRows[] = {
    // Global flags after the subcommand, in every position and form (issue #10, 2).
    {"FlagAfterVerb", {"snapshot", "save", "--endpoints", "{E}", "{OUT}"}},
    {"FlagBetweenCommands", {"snapshot", "--endpoints", "{E}", "save", "{OUT}"}},
    {"FlagAfterFile", {"snapshot", "save", "{OUT}", "--endpoints", "{E}"}},
    {"FlagWithEquals", {"--endpoints={E}", "snapshot", "save", "{OUT}"}},
    {"CommandPrefixes", {"snap", "sav", "--endpoints", "{E}", "{OUT}"}},
    // -w forms (3).
    // etcdctl prints "Snapshot saved at" whatever -w says; with json we print our summary.
    {"WriteOutSpace", {"-w", "json", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "{\"path\":\"{OUT}\",\"size\":", true, "`-w json` on save"},
    {"WriteOutEquals", {"-w=json", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "{\"path\":\"{OUT}\",\"size\":", true, "`-w json` on save"},
    {"WriteOutAttached", {"-wjson", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "{\"path\":\"{OUT}\",\"size\":", true, "`-w json` on save"},
    {"WriteOutLong", {"--write-out", "json", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "{\"path\":\"{OUT}\",\"size\":", true, "`-w json` on save"},
    {"WriteOutFields", {"-w", "fields", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"WriteOutAfterFile", {"--endpoints", "{E}", "snapshot", "save", "{OUT}", "-w", "table"}},
    {"WriteOutUnsupported", {"-wbogus", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    // Repeated flags (4): the last value wins.
    {"RepeatedCacertLastWins",
     {"--cacert", "/nonexistent/ca.crt", "--cacert", "{CA}", "--cert", "{CERT}", "--key", "{KEY}",
      "--endpoints", "https://{TE}", "snapshot", "save", "{OUT}"}},
    {"RepeatedCacertLastIsMissing",
     {"--cacert", "{CA}", "--cacert", "/nonexistent/ca.crt", "--endpoints", "https://{TE}",
      "snapshot", "save", "{OUT}"}},
    {"RepeatedEndpoints",
     {"--endpoints", "127.0.0.1:1", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "Snapshot saved at {OUT}\n", false,
     "several endpoints"},
    // Password on a pipe (6) and --user with auth disabled (1).
    {"UserWithPasswordAuthDisabled",
     {"--user", "root:pw", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"UserFromEnvironmentAuthDisabled", {"--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {{"ETCDCTL_USER", "root:pw"}}},
    {"UserPromptWithoutTerminal",
     {"--user", "root", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 0, "Snapshot saved at {OUT}\n", false,
     "no `Password: ` prompt on stdout"},
    // version, help, bare snapshot (8).
    // etcdctl's two lines, then ours (tests/cli/version_test.cc checks them).
    {"Version", {"version"}, {}, 0, "etcdsnap version: " ETCDSNAP_VERSION "\nAPI version: 3.4\n",
     true, "`etcdsnap version`"},
    {"VersionFlag", {"--version"}, {}, 0,
     "etcdsnap version: " ETCDSNAP_VERSION "\nAPI version: 3.4\n", true, "`--version`"},
    {"Help", {"help"}, {}, 0, "NAME:\n", true, "help text"},
    {"BareSnapshot", {"snapshot"}, {}, 0, "NAME:\n\tetcdsnap snapshot", true, "help text"},
    {"UnknownSubcommand", {"snapshot", "foo"}, {}, 1, "", false, "`snapshot foo`"},
    {"UnknownCommand", {"foo"}},
    // Exit codes (9).
    {"UnknownFlag", {"--foo", "snapshot", "save", "{OUT}"}},
    {"BadDuration", {"--dial-timeout=xx", "snapshot", "save", "{OUT}"}, {}, 1, "", false,
     "usage on stdout"},
    {"BadBool", {"--debug=yes", "snapshot", "save", "{OUT}"}, {}, 1, "", false,
     "usage on stdout"},
    {"NegativeDialTimeout",
     {"--dial-timeout=-1s", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"TinyDialTimeout", {"--dial-timeout=10us", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 2, "", false, "exit 2"},
    {"UpperCaseScheme", {"--endpoints=HTTP://{E}", "snapshot", "save", "{OUT}"}},
    {"ZeroCommandTimeout",
     {"--command-timeout=0", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"CommandTimeoutGiven",
     {"--command-timeout=1m", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"PasswordWithoutUser", {"--password", "x", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"EmptyEndpoints", {"--endpoints=", "snapshot", "save", "{OUT}"}},
    {"ApiVersion2", {"--endpoints", "{E}", "snapshot", "save", "{OUT}"}, {{"ETCDCTL_API", "2"}}},
    {"ApiVersion4", {"--endpoints", "{E}", "snapshot", "save", "{OUT}"}, {{"ETCDCTL_API", "4"}}},
    {"NoFile", {"--endpoints", "{E}", "snapshot", "save"}},
    {"TwoFiles", {"--endpoints", "{E}", "snapshot", "save", "{OUT}", "{OUT}.2"}},
    {"EmptyCert", {"--cert=", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"FlagAndEnvironmentBoth", {"--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {{"ETCDCTL_ENDPOINTS", "{E}"}}},
    {"EnvironmentOnly", {"snapshot", "save", "{OUT}"}, {{"ETCDCTL_ENDPOINTS", "{E}"}}},
    // TLS: the kubeadm backup line, a bare host:port with TLS flags.
    {"Kubeadm",
     {"--endpoints=https://{TE}", "--cacert={CA}", "--cert={CERT}", "--key={KEY}", "snapshot",
      "save", "{OUT}"}},
    {"TlsBareHostPort",
     {"--endpoints", "{TE}", "--cacert", "{CA}", "--cert", "{CERT}", "--key", "{KEY}",
      "snapshot", "save", "{OUT}"}},
    {"TlsFromEnvironment", {"snapshot", "save", "{OUT}"},
     {{"ETCDCTL_ENDPOINTS", "https://{TE}"}, {"ETCDCTL_CACERT", "{CA}"},
      {"ETCDCTL_CERT", "{CERT}"}, {"ETCDCTL_KEY", "{KEY}"}}},
    // Save's other error paths.
    {"SaveIntoMissingDirectory", {"--endpoints", "{E}", "snapshot", "save", "/nonexistent/x.db"}},
    {"SaveOntoADirectory", {"--endpoints", "{E}", "snapshot", "save", "{DIR}"}},
    {"ProtobufAcceptedBySave", {"-w", "protobuf", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"CertWithoutKey", {"--cert", "{CERT}", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"KeyWithoutCert", {"--key", "{KEY}", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"DebugAndHex", {"--debug", "--hex", "--endpoints", "{E}", "snapshot", "save", "{OUT}"}},
    {"BadKeepalive", {"--keepalive-time=abc", "--endpoints", "{E}", "snapshot", "save", "{OUT}"},
     {}, 1, "", false, "usage on stdout"},
    {"Unreachable",
     {"--endpoints", "127.0.0.1:1", "--command-timeout=3s", "snapshot", "save", "{OUT}"},
     {}, 2, "", false, "exit 2"},
    {"ServerCaNotTrusted",
     {"--cacert", "{OTHERCA}", "--cert", "{CERT}", "--key", "{KEY}", "--endpoints",
      "https://{TE}", "--command-timeout=3s", "snapshot", "save", "{OUT}"},
     {}, 2, "", false, "exit 2"},
    // status on the same file, every format and form.
    {"StatusSimple", {"snapshot", "status", "{S1}"}},
    {"StatusJsonEquals", {"-w=json", "snapshot", "status", "{S1}"}},
    {"StatusTableAttached", {"snapshot", "status", "-wtable", "{S1}"}},
    {"StatusFieldsAfterFile", {"snapshot", "status", "{S1}", "--write-out", "fields"}},
    {"StatusProtobuf", {"-w", "protobuf", "snapshot", "status", "{S1}"}},
    {"StatusIgnoresEnvironment", {"snapshot", "status", "{S1}"}, {{"ETCDCTL_WRITE_OUT", "json"}}},
    {"StatusMissingFile", {"snapshot", "status", "/nonexistent/x.db"}},
    {"StatusNoFile", {"snapshot", "status"}},
    {"StatusDirectory", {"snapshot", "status", "{DIR}"}},
    {"StatusEmptyFile", {"snapshot", "status", "{EMPTY}"}},
    {"StatusNotBbolt", {"snapshot", "status", "{TEXT}"}},
    // restore: {OUT} is the data dir, removed after each row.
    {"RestoreDefaults", {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}"}},
    {"RestoreAllFlags",
     {"snapshot", "restore", "{S1}", "--data-dir={OUT}", "--name", "m2", "--initial-cluster",
      "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380",
      "--initial-cluster-token", "tok", "--initial-advertise-peer-urls", "http://10.0.0.2:2380"}},
    {"RestoreGlobalFlagsIgnored",
     {"--endpoints", "127.0.0.1:1", "-w", "json", "snapshot", "restore", "{S1}", "--data-dir",
      "{OUT}"}},
    {"RestoreWalDir", {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--wal-dir",
                       "{OUT}.wal"}},
    {"RestoreNoFile", {"snapshot", "restore"}},
    {"RestoreTwoFiles", {"snapshot", "restore", "{S1}", "{S1}", "--data-dir", "{OUT}"}},
    {"RestoreMissingFile", {"snapshot", "restore", "/nonexistent/x.db", "--data-dir", "{OUT}"}},
    {"RestoreNameNotInCluster",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--name", "other"}},
    {"RestoreAdvertiseMismatch",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--initial-advertise-peer-urls",
      "http://127.0.0.1:2380"}},
    {"RestoreUrlWithPath",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--initial-cluster",
      "default=http://localhost:2380/x", "--initial-advertise-peer-urls",
      "http://localhost:2380/x"}},
    {"RestoreDuplicateUrl",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--initial-cluster",
      "default=http://localhost:2380,b=http://localhost:2380"}},
    {"RestoreNonEmptyDataDir", {"snapshot", "restore", "{S1}", "--data-dir", "{DIR}"}},
    {"RestoreMissingHash", {"snapshot", "restore", "{RAW}", "--data-dir", "{OUT}"}},
    {"RestoreRawWithSkipHashCheck",
     {"snapshot", "restore", "{RAW}", "--data-dir", "{OUT}", "--skip-hash-check"}},
    {"RestoreWrongHash", {"snapshot", "restore", "{BADHASH}", "--data-dir", "{OUT}"}},
    {"RestoreIntoEmptyDir", {"snapshot", "restore", "{S1}", "--data-dir", "{EMPTYDIR}"}, {}, 0,
     "", false, "existing empty data dir"},
    {"RestoreBumpRevision",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--bump-revision", "10",
      "--mark-compacted"},
     {}, 0, "", false, "`--bump-revision`"},
    {"RestoreBumpWithoutMark",
     {"snapshot", "restore", "{S1}", "--data-dir", "{OUT}", "--bump-revision", "10"}, {}, 128,
     "", false, "`--bump-revision` without `--mark-compacted`"},
    {"RestoreTruncatedWithSkipHashCheck",
     {"snapshot", "restore", "{TRUNCATED}", "--data-dir", "{OUT}", "--skip-hash-check"}, {}, 1,
     "", false, "structurally damaged snapshot"},
};

// One test over the whole table, so that the servers start once (each gtest case is its own
// process under CTest); every failure names its row.
class ParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FindExecutable("etcdctl").empty() || EtcdBinary().empty()) return;
    pki_ = new Pki();
    plain_ = new EtcdCluster({.tls = false}, nullptr);
    tls_ = new EtcdCluster({.tls = true}, pki_);
    started_ = plain_->Start() && tls_->Start();
  }
  static void TearDownTestSuite() {
    delete plain_;
    delete tls_;
    delete pki_;
  }

  std::string Expand(std::string s, const std::string& out) const {
    const std::map<std::string, std::string> values = {
        {"{E}", plain_->member(0).Endpoint()},
        {"{TE}", tls_->member(0).Endpoint()},
        {"{CA}", pki_->ca.cert},
        {"{CERT}", pki_->client.cert},
        {"{KEY}", pki_->client.key},
        {"{OUT}", out},
        {"{OTHERCA}", pki_->other_ca.cert},
        {"{DIR}", dir_.path()},
        {"{EMPTY}", empty_},
        {"{TEXT}", std::string(ETCDSNAP_TEST_DATA_DIR) + "/README.md"},
        {"{S1}", std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db"},
        {"{RAW}", std::string(ETCDSNAP_TEST_DATA_DIR) + "/default-restore-db"},
        {"{BADHASH}", bad_hash_},
        {"{TRUNCATED}", truncated_},
        {"{EMPTYDIR}", empty_dir_}};
    for (const auto& [k, v] : values) {
      for (size_t at = s.find(k); at != std::string::npos; at = s.find(k, at + v.size())) {
        s.replace(at, k.size(), v);
      }
    }
    return s;
  }

  // Runs `program` with the row; stdout with the output path put back as {OUT}.
  CommandResult Run(const std::string& program, const Row& row) {
    const std::string out = dir_.Join(program.substr(program.rfind('/') + 1) + ".db");
    std::vector<std::string> argv = {program};
    for (const auto& a : row.args) argv.push_back(Expand(a, out));
    SubprocessOptions options;
    for (const auto& [k, v] : row.env) options.env[k] = Expand(v, out);
    CommandResult r = RunCommand(argv, options, std::chrono::seconds(30));
    // What the row made (a saved file, a restored data dir and WAL dir) goes, so that the next
    // row starts from nothing.
    std::error_code ec;
    for (const std::string& made : {out, out + ".wal"}) std::filesystem::remove_all(made, ec);
    for (size_t at = r.out.find(out); at != std::string::npos; at = r.out.find(out, at)) {
      r.out.replace(at, out.size(), "{OUT}");
    }
    return r;
  }

  // Runs the row through both tools (or etcdsnap alone for a documented difference).
  void CheckRow(const Row& row);

  static Pki* pki_;
  static EtcdCluster* plain_;
  static EtcdCluster* tls_;
  static bool started_;
  TempDir dir_{"etcdsnap-parity"};
  const std::string empty_ = [this] {
    const std::string path = dir_.Join("empty.db");
    std::ofstream{path};
    return path;
  }();
  // s1.db with one byte changed and its trailer kept; s1.db cut to 5 of its 6 pages.
  const std::string bad_hash_ = EditedS1("badhash.db", [](std::string& b) { b[5000] ^= 1; });
  const std::string truncated_ = EditedS1("truncated.db", [](std::string& b) { b.resize(5 * 4096); });
  const std::string empty_dir_ = [this] {
    const std::string path = dir_.Join("empty-dir");
    std::filesystem::create_directory(path);
    return path;
  }();

  std::string EditedS1(const std::string& name, const std::function<void(std::string&)>& edit) {
    std::string bytes = ReadFileOrEmpty(std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db");
    edit(bytes);
    WriteFileOrDie(dir_.Join(name), bytes);
    return dir_.Join(name);
  }
};

Pki* ParityTest::pki_ = nullptr;
EtcdCluster* ParityTest::plain_ = nullptr;
EtcdCluster* ParityTest::tls_ = nullptr;
bool ParityTest::started_ = false;

std::string ReadDoc() {
  std::ifstream in(std::string(ETCDSNAP_TEST_DATA_DIR) + "/../../docs/compat.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ParityTest::CheckRow(const Row& row) {
  const CommandResult ours = Run(EtcdsnapBinary(), row);
  ASSERT_FALSE(ours.timed_out) << ours.Describe();
  if (row.ours_code) {
    // A documented difference: our own result, and its line in docs/compat.md.
    EXPECT_EQ(ours.exit_code, *row.ours_code) << ours.Describe();
    if (row.ours_out_is_prefix) {
      EXPECT_EQ(ours.out.rfind(*row.ours_out, 0), 0u) << ours.Describe();
    } else {
      EXPECT_EQ(ours.out, *row.ours_out) << ours.Describe();
    }
    EXPECT_NE(ReadDoc().find(row.doc), std::string::npos)
        << "docs/compat.md does not document \"" << row.doc << "\"";
    return;
  }
  const CommandResult theirs = Run(FindExecutable("etcdctl"), row);
  ASSERT_FALSE(theirs.timed_out) << theirs.Describe();
  EXPECT_EQ(ours.exit_code, theirs.exit_code) << "etcdsnap: " << ours.Describe()
                                              << "\netcdctl: " << theirs.Describe();
  EXPECT_EQ(ours.out, theirs.out) << "etcdsnap: " << ours.Describe()
                                  << "\netcdctl: " << theirs.Describe();
}

TEST_F(ParityTest, SameExitCodeAndStdoutAsEtcdctl) {
  ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("etcdctl").empty() && !EtcdBinary().empty(),
                           "etcdctl and etcd are needed for the parity table");
  ASSERT_TRUE(started_) << "the etcd servers did not start";
  for (const Row& row : kRows) {
    SCOPED_TRACE(std::string("row ") + row.name);
    CheckRow(row);
  }
}

}  // namespace
}  // namespace etcdsnap::testing
