// docs/examples/, exercised as far as this machine allows, against a real etcd with mutual TLS.
// The examples name a kubeadm node's paths (/etc/kubernetes/pki/etcd/..., /var/backups/etcd,
// node_exporter's textfile directory, https://127.0.0.1:2379); each test maps those well-known
// prefixes to its own directories, certificates and server, and checks that nothing it left
// unmapped is used.
//   crontab   the file is a valid /etc/cron.d file (fields, user, `%` escaped, install name), and
//             its command, as cron hands it to /bin/sh, saves a snapshot, manifest and metrics
//             and prunes by its policy;
//   systemd   `systemd-analyze verify` passes on the service and timer; the ExecStart and
//             environment as systemd itself parsed them (its debug dump) run; under strace, the
//             run stays inside the unit's sandbox (system calls, socket families, files written);
//   CronJob   the manifest parses (python3-yaml), is a batch/v1 CronJob on control-plane nodes
//             with the host's network and PKI, runs the binary docs/examples/Dockerfile copies,
//             and its arguments, with the volumes mapped to host directories, run.
// Under CI=true a missing tool (systemd-analyze, python3-yaml, strace) fails the test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <cctype>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>

#include "etcd_cluster.h"
#include "pki.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using std::chrono::seconds;

const std::string kExamples = std::string(ETCDSNAP_SOURCE_DIR) + "/docs/examples/";
// Debian's interpreter, which python3-yaml installs for (a python3 earlier in PATH may not).
constexpr const char* kDebianPython = "/usr/bin/python3";
constexpr const char* kKubeadmPki = "/etc/kubernetes/pki/etcd";
constexpr const char* kBackupDir = "/var/backups/etcd";
constexpr const char* kTextfileDir = "/var/lib/node_exporter/textfile";
constexpr const char* kInstalledBinary = "/usr/local/bin/etcdsnap";
constexpr const char* kLocalEndpoint = "https://127.0.0.1:2379";

std::string ReadExample(const std::string& name) {
  std::ifstream in(kExamples + name);
  EXPECT_TRUE(in.good()) << "cannot read " << kExamples << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// Splits a command line into words as /bin/sh does (quotes, backslashes; no globbing, and the
// text is ours: docs/examples, or systemd's re-quoted dump of it).
std::vector<std::string> ShellWords(const std::string& command_line) {
  const CommandResult r = RunCommand(
      {"/bin/sh", "-c", "set -f; eval \"set -- $1\"; printf '%s\\0' \"$@\"", "sh", command_line},
      {}, seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  std::vector<std::string> words;
  for (size_t start = 0, end; (end = r.out.find('\0', start)) != std::string::npos;
       start = end + 1) {
    words.push_back(r.out.substr(start, end - start));
  }
  return words;
}

// The value of `--name=value` or `--name value` in argv ("" when absent; the last one wins).
std::string FlagValue(const std::vector<std::string>& argv, const std::string& name) {
  std::string value;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (StartsWith(argv[i], name + "=")) value = argv[i].substr(name.size() + 1);
    if (argv[i] == name && i + 1 < argv.size()) value = argv[i + 1];
  }
  return value;
}

// The words after `snapshot save` that are not flags: the file (examples spell every flag
// with a value as --flag=value).
std::vector<std::string> SaveOperands(const std::vector<std::string>& argv) {
  auto save = std::find(argv.begin(), argv.end(), "save");
  std::vector<std::string> out;
  if (save == argv.end()) return out;
  for (auto it = save + 1; it != argv.end(); ++it) {
    if (!StartsWith(*it, "-")) out.push_back(*it);
  }
  return out;
}

// The retention and compression policy of a save command line: its --keep-*, --compress and
// --lock-timeout flags, sorted. The three examples must agree on it.
std::vector<std::string> Policy(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (const auto& a : argv) {
    if (StartsWith(a, "--keep-") || StartsWith(a, "--compress") ||
        StartsWith(a, "--lock-timeout")) {
      out.push_back(a);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The largest --keep-* count: with every snapshot in an hour, day, week and month of its own,
// the policies keep exactly that many, the newest.
int LargestKeep(const std::vector<std::string>& argv) {
  int n = 0;
  for (const auto& a : argv) {
    if (StartsWith(a, "--keep-") && a.find('=') != std::string::npos) {
      n = std::max(n, std::stoi(a.substr(a.find('=') + 1)));
    }
  }
  return n;
}

// Every absolute path an argv names (a word starting with '/', or a flag's value).
std::vector<std::string> PathsIn(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (const auto& a : argv) {
    if (StartsWith(a, "/")) out.push_back(a);
    const size_t eq = a.find("=/");
    if (StartsWith(a, "--") && eq != std::string::npos) out.push_back(a.substr(eq + 1));
  }
  return out;
}

std::string Dirname(const std::string& path) { return fs::path(path).parent_path(); }

bool IsUnder(const std::string& path, const std::string& dir) {
  return path == dir || StartsWith(path, dir + "/");
}

// cron's treatment of a crontab command (Vixie cron's do_command.c, which Debian's cron keeps):
// `\%` becomes `%`, a bare `%` ends the command (the rest goes to its stdin), other backslashes
// stay for the shell.
std::string CronCommand(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 1 < field.size() && field[i + 1] == '%') {
      out += '%';
      ++i;
    } else if (field[i] == '%') {
      break;
    } else {
      out += field[i];
    }
  }
  return out;
}

// One crontab time field: `*`, numbers and ranges in [lo, hi] (or the names given), lists,
// steps.
bool ValidCronField(const std::string& field, int lo, int hi,
                    const std::vector<std::string>& names = {}) {
  auto value = [&](const std::string& v) {
    if (std::regex_match(v, std::regex("[0-9]+"))) {
      const int n = std::stoi(v);
      return n >= lo && n <= hi;
    }
    std::string lower = v;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return std::find(names.begin(), names.end(), lower) != names.end();
  };
  std::stringstream items(field);
  for (std::string item; std::getline(items, item, ',');) {
    std::string range = item;
    if (const size_t slash = item.find('/'); slash != std::string::npos) {
      const std::string step = item.substr(slash + 1);
      if (!std::regex_match(step, std::regex("[1-9][0-9]*"))) return false;
      range = item.substr(0, slash);
    }
    if (range == "*") continue;
    const size_t dash = range.find('-');
    if (dash == std::string::npos) {
      if (!value(range)) return false;
    } else if (!value(range.substr(0, dash)) || !value(range.substr(dash + 1))) {
      return false;
    }
  }
  return !field.empty() && field.back() != ',';
}

// Files of `dir` whose names match `re`, sorted.
std::vector<std::string> Matching(const std::string& dir, const std::string& re) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (std::regex_match(e.path().filename().string(), std::regex(re))) {
      out.push_back(e.path().filename());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (EtcdBinary().empty()) return;
    pki_ = new Pki();
    cluster_ = new EtcdCluster({}, pki_);
    started_ = cluster_->Start();
    if (!started_) return;
    EtcdTestClient c = cluster_->Client();
    for (int i = 0; i < 20 && started_; ++i) {
      started_ = c.Put("/registry/k" + std::to_string(i), "v").ok();
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete pki_;
    cluster_ = nullptr;
    pki_ = nullptr;
  }

  void SetUp() override {
    // A kubeadm node's PKI directory, with the names kubeadm gives the files.
    fs::create_directories(PkiDir());
    if (pki_ != nullptr) {
      fs::copy_file(pki_->ca.cert, PkiDir() + "/ca.crt");
      fs::copy_file(pki_->client.cert, PkiDir() + "/healthcheck-client.crt");
      fs::copy_file(pki_->client.key, PkiDir() + "/healthcheck-client.key");
    }
    fs::create_directories(Backups());
    fs::create_directories(Textfile());
  }

  // Skips (fails under CI) without etcd; fails when it did not start.
  bool ServerReady() {
    if (EtcdBinary().empty()) return false;
    EXPECT_TRUE(started_) << "etcd did not start";
    return started_;
  }

  std::string PkiDir() const { return node_.Join("pki"); }
  std::string Backups() const { return node_.Join("backups"); }
  std::string Textfile() const { return node_.Join("textfile"); }

  // A kubeadm node's paths and the local endpoint, as this test's.
  std::string Map(std::string text) const {
    ReplaceAll(text, kInstalledBinary, EtcdsnapBinary());
    ReplaceAll(text, kKubeadmPki, PkiDir());
    ReplaceAll(text, kBackupDir, Backups());
    ReplaceAll(text, kTextfileDir, Textfile());
    if (cluster_ != nullptr) ReplaceAll(text, kLocalEndpoint, cluster_->member(0).ClientUrl());
    return text;
  }
  std::vector<std::string> Map(std::vector<std::string> argv) const {
    for (auto& a : argv) a = Map(a);
    return argv;
  }

  // Every path a mapped argv names is one of ours: the run exercised the whole line.
  ::testing::AssertionResult OnlyMappedPaths(const std::vector<std::string>& argv) const {
    for (const auto& p : PathsIn(argv)) {
      if (p != EtcdsnapBinary() && !IsUnder(p, node_.path())) {
        return ::testing::AssertionFailure() << p << " was not mapped to the test's files";
      }
    }
    return ::testing::AssertionSuccess();
  }

  // What a successful scheduled save leaves: the newest snapshot named by the template, with its
  // manifest naming this build, a metrics file reporting success, and a file `snapshot verify`
  // accepts (the manifest included).
  void ExpectSaved(const std::vector<std::string>& argv) {
    const std::vector<std::string> operands = SaveOperands(argv);
    ASSERT_EQ(operands.size(), 1u);
    const std::string name_re =
        std::regex_replace(fs::path(operands[0]).filename().string(), std::regex("%Y%m%dT%H%M%SZ"),
                           "2[0-9]{7}T[0-9]{6}Z");
    ASSERT_EQ(Dirname(operands[0]), Backups());
    const std::vector<std::string> made = Matching(Backups(), "^" + name_re + "$");
    ASSERT_FALSE(made.empty()) << "no file named like " << operands[0];
    const std::string file = Backups() + "/" + made.back();
    const std::string manifest_text = ReadFileOrEmpty(file + ".json");
    const Json manifest = Json::parse(manifest_text, nullptr, false);
    ASSERT_TRUE(manifest.is_object()) << "no manifest beside " << file;
    EXPECT_EQ(manifest.value("tool", ""), ToolName());
    EXPECT_EQ(manifest.value("compression", ""), "zstd");
    const CommandResult verify =
        RunCommand({EtcdsnapBinary(), "snapshot", "verify", file}, {}, seconds(60));
    EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
    const std::string metrics = ReadFileOrEmpty(FlagValue(argv, "--metrics-file"));
    EXPECT_TRUE(std::regex_search(
        metrics,
        std::regex("\netcdsnap_snapshot_last_attempt_success\\{cluster=\"[0-9a-f]+\"\\} 1\n")))
        << metrics;
  }

  // "etcdsnap X (SHA)" from `etcdsnap version`, as the manifest's `tool` should say.
  static std::string ToolName() {
    const CommandResult r = RunCommand({EtcdsnapBinary(), "version"}, {}, seconds(30));
    const std::vector<std::string> lines = Lines(r.out);
    if (lines.size() < 3) return "(no version)";
    std::string name = "etcdsnap " + lines[0].substr(lines[0].find(": ") + 2);
    const std::string sha = lines[2].substr(lines[2].find(": ") + 2);
    return sha == "unknown" ? name : name + " (" + sha + ")";
  }

  static Pki* pki_;
  static EtcdCluster* cluster_;
  static bool started_;
  TempDir node_{"etcdsnap-examples"};
};

Pki* ExamplesTest::pki_ = nullptr;
EtcdCluster* ExamplesTest::cluster_ = nullptr;
bool ExamplesTest::started_ = false;

// ---------------------------------------------------------------------------------------------
// crontab

struct Crontab {
  std::map<std::string, std::string> env;
  std::vector<std::string> jobs;  // the job lines, as written
  std::string install_name;       // from "Install as /etc/cron.d/NAME"
};

Crontab ReadCrontab() {
  Crontab c;
  const std::string text = ReadExample("etcdsnap.cron");
  std::smatch m;
  if (std::regex_search(text, m, std::regex("Install as /etc/cron\\.d/([^\\s,]+)"))) {
    c.install_name = m[1];
  }
  for (const std::string& line : Lines(text)) {
    const std::string trimmed = line.substr(std::min(line.size(), line.find_first_not_of(" \t")));
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (std::regex_match(trimmed, m, std::regex("([A-Za-z_][A-Za-z0-9_]*)=(.*)"))) {
      c.env[m[1]] = m[2];
    } else {
      c.jobs.push_back(trimmed);
    }
  }
  return c;
}

// The command field of a /etc/cron.d line: what follows 5 time fields and the user.
std::string CommandField(const std::string& job) {
  size_t at = 0;
  for (int i = 0; i < 6; ++i) {
    at = job.find_first_not_of(" \t", at);
    at = job.find_first_of(" \t", at);
  }
  return job.substr(job.find_first_not_of(" \t", at));
}

TEST_F(ExamplesTest, CrontabIsAValidCronDFile) {
  const std::string text = ReadExample("etcdsnap.cron");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "cron ignores a last line without a newline";
  const Crontab c = ReadCrontab();
  // Debian's cron reads only /etc/cron.d files named like run-parts wants: no dot.
  EXPECT_TRUE(std::regex_match(c.install_name, std::regex("[A-Za-z0-9_-]+")))
      << "install name \"" << c.install_name << "\"";
  ASSERT_EQ(c.jobs.size(), 1u);
  const std::vector<std::string> f = Fields(c.jobs[0]);
  ASSERT_GE(f.size(), 7u) << c.jobs[0];
  EXPECT_TRUE(ValidCronField(f[0], 0, 59)) << "minute " << f[0];
  EXPECT_TRUE(ValidCronField(f[1], 0, 23)) << "hour " << f[1];
  EXPECT_TRUE(ValidCronField(f[2], 1, 31)) << "day of month " << f[2];
  EXPECT_TRUE(ValidCronField(
      f[3], 1, 12,
      {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}))
      << "month " << f[3];
  EXPECT_TRUE(ValidCronField(f[4], 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}))
      << "day of week " << f[4];
  EXPECT_EQ(f[5], "root") << "the user field of a /etc/cron.d line";
  const std::string command = CommandField(c.jobs[0]);
  EXPECT_TRUE(StartsWith(command, kInstalledBinary)) << command;
  // A bare % would end the command there.
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] == '%') {
      EXPECT_TRUE(i > 0 && command[i - 1] == '\\') << "bare % at " << i;
    }
  }
  EXPECT_EQ(CronCommand(command).find('\\'), std::string::npos);
}

TEST_F(ExamplesTest, CrontabCommandSavesAsCronRunsIt) {
  ETCDSNAP_REQUIRE_OR_SKIP(ServerReady(), "etcd is needed");
  const Crontab c = ReadCrontab();
  ASSERT_EQ(c.jobs.size(), 1u);
  const std::string command = Map(CronCommand(CommandField(c.jobs[0])));
  const std::vector<std::string> argv = ShellWords(command);
  ASSERT_TRUE(OnlyMappedPaths(argv));
  // Older runs of the same template, one a month: the policy keeps the newest of them.
  const std::string name = fs::path(SaveOperands(argv).at(0)).filename();
  std::vector<std::string> seeded;
  for (int month = 0; month < 30; ++month) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%04d%02d01T010000Z", 2020 + month / 12, month % 12 + 1);
    std::string seed = name;
    ReplaceAll(seed, "%Y%m%dT%H%M%SZ", stamp);
    WriteFileOrDie(Backups() + "/" + seed, "an old snapshot");
    seeded.push_back(seed);
  }
  // cron runs `$SHELL -c command` with the crontab's variables and little else.
  SubprocessOptions options;
  for (const auto& [k, v] : c.env) options.env[k] = v;
  options.env["HOME"] = node_.path();
  options.env["LOGNAME"] = "root";
  const std::string shell = c.env.count("SHELL") != 0 ? c.env.at("SHELL") : "/bin/sh";
  const CommandResult r = RunCommand({shell, "-c", command}, options, seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // --quiet: nothing for cron to mail.
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  ExpectSaved(argv);
  const int keep = LargestKeep(argv);
  ASSERT_GT(keep, 1);
  std::vector<std::string> kept(seeded.end() - (keep - 1), seeded.end());
  std::vector<std::string> left;
  for (const auto& s : seeded) {
    if (PathExists(Backups() + "/" + s)) left.push_back(s);
  }
  EXPECT_EQ(left, kept);
}

// docs/operations.md shows the crontab's command once, unescaped, to explain it.
TEST_F(ExamplesTest, OperationsDocShowsTheCrontabsCommand) {
  const Crontab c = ReadCrontab();
  ASSERT_EQ(c.jobs.size(), 1u);
  std::ifstream in(std::string(ETCDSNAP_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const size_t start = doc.find("```sh\n");
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("```", start + 6);
  EXPECT_EQ(ShellWords(doc.substr(start + 6, end - start - 6)),
            ShellWords(CronCommand(CommandField(c.jobs[0]))));
  for (const char* file : {"etcdsnap.cron", "etcdsnap-backup.service", "etcdsnap-backup.timer",
                           "etcdsnap-backup.env", "etcdsnap-cronjob.yaml", "Dockerfile"}) {
    EXPECT_NE(doc.find(std::string("examples/") + file), std::string::npos)
        << "docs/operations.md does not point at docs/examples/" << file;
  }
}

// ---------------------------------------------------------------------------------------------
// systemd

// One unit file's settings: "Section.Key" -> values, in order (continuation lines joined).
std::multimap<std::string, std::string> ReadUnit(const std::string& text) {
  std::multimap<std::string, std::string> out;
  std::string section, pending;
  for (const std::string& line : Lines(text)) {
    std::string l = pending + line;
    pending.clear();
    if (!l.empty() && l.back() == '\\') {
      pending = l.substr(0, l.size() - 1) + " ";
      continue;
    }
    const size_t first = l.find_first_not_of(" \t");
    if (first == std::string::npos || l[first] == '#' || l[first] == ';') continue;
    if (l[first] == '[') {
      section = l.substr(first + 1, l.find(']') - first - 1);
      continue;
    }
    const size_t eq = l.find('=');
    if (eq != std::string::npos) {
      out.emplace(section + "." + l.substr(first, eq - first), l.substr(eq + 1));
    }
  }
  return out;
}

std::string Only(const std::multimap<std::string, std::string>& unit, const std::string& key) {
  EXPECT_EQ(unit.count(key), 1u) << key;
  auto it = unit.find(key);
  return it == unit.end() ? "" : it->second;
}

// A unit as systemd loaded it: the "Key: value" lines of `systemd-analyze verify`'s debug dump
// (systemd 252's format), by key, in order.
using Dump = std::multimap<std::string, std::string>;

class SystemdExamplesTest : public ExamplesTest {
 protected:
  void SetUp() override {
    ExamplesTest::SetUp();
    ETCDSNAP_REQUIRE_OR_SKIP(
        !FindExecutable("systemd-analyze").empty(),
        "systemd-analyze is needed (Debian's systemd package; scripts/deps.sh)");
    // verify wants the ExecStart binary to exist: the copies name the one under test.
    units_ = node_.Join("units");
    fs::create_directories(units_);
    for (const char* name : {"etcdsnap-backup.service", "etcdsnap-backup.timer"}) {
      std::string text = ReadExample(name);
      ReplaceAll(text, kInstalledBinary, EtcdsnapBinary());
      WriteFileOrDie(units_ + "/" + name, text);
    }
  }
  std::string Unit(const std::string& name) const { return units_ + "/" + name; }

  CommandResult Verify(const std::vector<std::string>& names, bool debug) {
    std::vector<std::string> argv = {"systemd-analyze", "verify", "--man=no"};
    for (const auto& n : names) argv.push_back(Unit(n));
    SubprocessOptions options;
    if (debug) options.env["SYSTEMD_LOG_LEVEL"] = "debug";
    return RunCommand(argv, options, seconds(60));
  }

  Dump LoadedUnit(const std::string& name) {
    const CommandResult r = Verify({name}, true);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    Dump out;
    bool in_unit = false;
    for (const std::string& line : Lines(r.out)) {
      if (line.find("-> Unit ") != std::string::npos) {
        in_unit = line.find("-> Unit " + name + ":") != std::string::npos;
        continue;
      }
      if (!in_unit) continue;
      const size_t first = line.find_first_not_of('\t');
      const size_t colon = line.find(": ", first);
      if (first == std::string::npos) continue;
      if (colon == std::string::npos) {
        if (line.back() == ':') out.emplace(line.substr(first, line.size() - first - 1), "");
        continue;
      }
      out.emplace(line.substr(first, colon - first), line.substr(colon + 2));
    }
    EXPECT_FALSE(out.empty()) << "no dump of " << name << " in systemd-analyze's output\n"
                              << r.out.substr(0, 2000);
    return out;
  }

  // The service's ExecStart argv and environment as systemd parsed them: Environment= lines,
  // then the EnvironmentFile's assignments over them (docs/examples/etcdsnap-backup.env is
  // what is installed there; its lines are all comments by default).
  void LoadService(std::vector<std::string>* argv, std::map<std::string, std::string>* env) {
    const Dump d = LoadedUnit("etcdsnap-backup.service");
    ASSERT_EQ(d.count("Command Line"), 1u) << "one ExecStart";
    *argv = ShellWords(d.find("Command Line")->second);
    for (auto [it, end] = d.equal_range("Environment"); it != end; ++it) {
      const size_t eq = it->second.find('=');
      (*env)[it->second.substr(0, eq)] = it->second.substr(eq + 1);
    }
    ASSERT_EQ(d.count("EnvironmentFile"), 1u);
    std::string env_file = d.find("EnvironmentFile")->second;
    if (StartsWith(env_file, "-")) env_file = env_file.substr(1);
    const std::string example = ReadExample("etcdsnap-backup.env");
    EXPECT_TRUE(StartsWith(example, "# " + env_file + ":"))
        << "etcdsnap-backup.env does not say it is installed as " << env_file;
    for (const std::string& line : Lines(example)) {
      std::smatch m;
      if (std::regex_match(line, m, std::regex("([A-Za-z_][A-Za-z0-9_]*)=(.*)"))) {
        (*env)[m[1]] = m[2];
      }
    }
  }

  std::string units_;
};

TEST_F(SystemdExamplesTest, SystemdAnalyzeVerifyPasses) {
  const CommandResult r = Verify({"etcdsnap-backup.service", "etcdsnap-backup.timer"}, false);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  // verify exits 0 even on an unknown key or a bad value: it only warns, naming the file.
  for (const std::string& line : Lines(r.out + r.err)) {
    EXPECT_EQ(line.find("etcdsnap-backup"), std::string::npos) << line;
  }
}

TEST_F(SystemdExamplesTest, TimerStartsTheServiceHourlyCatchingUpMissedRuns) {
  const Dump t = LoadedUnit("etcdsnap-backup.timer");
  ASSERT_EQ(t.count("Unit"), 1u);
  EXPECT_EQ(t.find("Unit")->second, "etcdsnap-backup.service");
  ASSERT_EQ(t.count("Persistent"), 1u);
  EXPECT_EQ(t.find("Persistent")->second, "yes");
  ASSERT_EQ(t.count("OnCalendar"), 1u);
  EXPECT_EQ(t.find("OnCalendar")->second, "*-*-* *:00:00");
  // Not in the dump: read from the file that verify accepted.
  const auto timer = ReadUnit(ReadExample("etcdsnap-backup.timer"));
  EXPECT_TRUE(
      std::regex_match(Only(timer, "Timer.RandomizedDelaySec"), std::regex("[1-9][0-9]*min")));
  EXPECT_EQ(Only(timer, "Install.WantedBy"), "timers.target");
}

TEST_F(SystemdExamplesTest, ServiceIsAHardenedOneshotThatCanWriteWhatItWrites) {
  const Dump d = LoadedUnit("etcdsnap-backup.service");
  auto value = [&](const std::string& key) {
    EXPECT_EQ(d.count(key), 1u) << key;
    return d.count(key) == 1 ? d.find(key)->second : "";
  };
  EXPECT_EQ(value("Type"), "oneshot");
  EXPECT_EQ(value("ProtectSystem"), "strict");
  EXPECT_EQ(value("ProtectHome"), "yes");
  EXPECT_EQ(value("PrivateTmp"), "yes");
  EXPECT_EQ(value("PrivateDevices"), "yes");
  EXPECT_EQ(value("CapabilityBoundingSet"), "");
  EXPECT_EQ(value("SystemCallErrorNumber"), "kill");
  const auto unit = ReadUnit(ReadExample("etcdsnap-backup.service"));
  EXPECT_EQ(Only(unit, "Service.NoNewPrivileges"), "yes");
  EXPECT_EQ(Only(unit, "Service.SuccessExitStatus"), "75");
  // ProtectSystem=strict: the directories the run writes must be ReadWritePaths.
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  LoadService(&argv, &env);
  const std::vector<std::string> rw = Fields(value("ReadWritePaths"));
  const std::vector<std::string> operands = SaveOperands(argv);
  ASSERT_EQ(operands.size(), 1u);
  for (const std::string& written : {operands[0], FlagValue(argv, "--metrics-file")}) {
    EXPECT_NE(std::find(rw.begin(), rw.end(), Dirname(written)), rw.end())
        << Dirname(written) << " is not in ReadWritePaths";
  }
}

TEST_F(SystemdExamplesTest, ExecStartSavesWithTheUnitsEnvironment) {
  ETCDSNAP_REQUIRE_OR_SKIP(ServerReady(), "etcd is needed");
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  LoadService(&argv, &env);
  argv = Map(argv);
  ASSERT_TRUE(OnlyMappedPaths(argv));
  ASSERT_EQ(argv.at(0), EtcdsnapBinary());
  SubprocessOptions options;
  for (const auto& [k, v] : env) options.env[k] = Map(v);
  for (const auto& [k, v] : options.env) {
    if (StartsWith(v, "/")) {
      EXPECT_TRUE(OnlyMappedPaths({v})) << k;
    }
  }
  // With the unit's UMask=.
  const Dump d = LoadedUnit("etcdsnap-backup.service");
  ASSERT_EQ(d.count("UMask"), 1u);
  std::vector<std::string> with_umask = {"/bin/sh", "-c", "umask \"$0\" && exec \"$@\"",
                                         d.find("UMask")->second};
  with_umask.insert(with_umask.end(), argv.begin(), argv.end());
  const CommandResult r = RunCommand(with_umask, options, seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // --log-format=json: every line the journal gets on stderr is a JSON object.
  for (const std::string& line : Lines(r.err)) {
    EXPECT_TRUE(Json::parse(line, nullptr, false).is_object()) << line;
  }
  ExpectSaved(argv);
  // node_exporter runs as another user: the metrics file stays readable whatever the umask.
  struct stat st {};
  ASSERT_EQ(::stat(FlagValue(argv, "--metrics-file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

// The names etcdsnap reads from the environment, as `--debug` lists them.
std::set<std::string> EnvironmentNames() {
  const CommandResult r = RunCommand(
      {EtcdsnapBinary(), "--debug", "snapshot", "save", "/nonexistent-dir/x.db"}, {}, seconds(30));
  std::set<std::string> names;
  std::smatch m;
  for (const std::string& line : Lines(r.err)) {
    if (std::regex_match(line, m, std::regex("(ETCDCTL_[A-Z_]+)=.*"))) names.insert(m[1]);
  }
  EXPECT_GT(names.size(), 5u) << r.Describe();
  return names;
}

TEST_F(SystemdExamplesTest, EnvironmentFileNamesOnlyVariablesEtcdsnapReads) {
  const std::set<std::string> known = EnvironmentNames();
  int named = 0;
  std::smatch m;
  for (const std::string& line : Lines(ReadExample("etcdsnap-backup.env"))) {
    if (std::regex_match(line, m, std::regex("#?([A-Za-z_][A-Za-z0-9_]*)=.*"))) {
      ++named;
      EXPECT_EQ(known.count(m[1]), 1u) << m[1] << " is not a variable etcdsnap reads";
    }
  }
  EXPECT_GT(named, 0);
  for (const auto& [key, value] : ReadUnit(ReadExample("etcdsnap-backup.service"))) {
    if (key != "Service.Environment") continue;
    EXPECT_EQ(known.count(value.substr(0, value.find('='))), 1u) << value;
  }
}

// The run, traced, stays inside the unit's sandbox: every system call in SystemCallFilter's set
// (systemd's own expansion of @system-service; anything else kills the process), every socket
// of a family RestrictAddressFamilies allows, every file written under ReadWritePaths, nothing
// read from the private /tmp or the hidden /home, no device PrivateDevices hides. As root, the
// run also has no capabilities and no_new_privs, as CapabilityBoundingSet= and NoNewPrivileges=
// leave it.
TEST_F(SystemdExamplesTest, TracedRunStaysInsideTheSandbox) {
  ETCDSNAP_REQUIRE_OR_SKIP(ServerReady(), "etcd is needed");
  ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("strace").empty(), "strace is needed (scripts/deps.sh)");
  const Dump d = LoadedUnit("etcdsnap-backup.service");
  ASSERT_EQ(d.count("SystemCallFilter"), 1u);
  const std::vector<std::string> allowed_list = Fields(d.find("SystemCallFilter")->second);
  const std::set<std::string> allowed(allowed_list.begin(), allowed_list.end());
  const std::vector<std::string> families = Fields(
      Only(ReadUnit(ReadExample("etcdsnap-backup.service")), "Service.RestrictAddressFamilies"));
  std::vector<std::string> rw;
  for (const auto& p : Fields(d.find("ReadWritePaths")->second)) rw.push_back(Map(p));

  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  LoadService(&argv, &env);
  argv = Map(argv);
  const std::string trace = node_.Join("strace.out");
  std::vector<std::string> traced = {"strace", "-f", "-qq", "-s", "4096", "-o", trace, "--"};
  if (::geteuid() == 0) {
    traced.insert(traced.begin(),
                  {"setpriv", "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"});
  }
  traced.insert(traced.end(), argv.begin(), argv.end());
  SubprocessOptions options;
  for (const auto& [k, v] : env) options.env[k] = Map(v);
  // In the sanitized build: LeakSanitizer stops the world with ptrace, which a traced process
  // cannot do.
  const char* asan = std::getenv("ASAN_OPTIONS");
  options.env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "") + ":detect_leaks=0";
  const CommandResult r = RunCommand(traced, options, seconds(180));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ExpectSaved(argv);

  const std::string text = ReadFileOrEmpty(trace);
  static const char* const kWriteFlags[] = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"};
  // Parsed by hand: libstdc++'s std::regex recurses once per character, and strace's lines (a
  // write's data, execve's argv) overflowed the stack of the sanitized build.
  std::set<std::string> used, denied;
  int calls = 0;
  for (const std::string& line : Lines(text)) {
    // "[pid ]name(args...": "+++ exited" and "<... resumed>" lines are not calls.
    size_t at = 0;
    while (at < line.size() && std::isdigit(static_cast<unsigned char>(line[at]))) ++at;
    if (at > 0) {
      if (at == line.size() || line[at] != ' ') continue;
      while (at < line.size() && line[at] == ' ') ++at;
    }
    const size_t name_end = line.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_", at);
    if (name_end == std::string::npos || name_end == at || line[name_end] != '(') continue;
    const std::string name = line.substr(at, name_end - at), args = line.substr(name_end + 1);
    ++calls;
    used.insert(name);
    if (name == "execve") continue;  // strace's and setpriv's own exec of the binary
    if (allowed.count(name) == 0) denied.insert(name);
    if (name == "socket") {
      const std::string family = args.substr(0, args.find(','));
      EXPECT_NE(std::find(families.begin(), families.end(), family), families.end())
          << "socket family " << family << ": " << line;
    }
    const size_t open_quote = args.find('"');
    const size_t close_quote =
        open_quote == std::string::npos ? std::string::npos : args.find('"', open_quote + 1);
    if (close_quote == std::string::npos) continue;
    const std::string path = args.substr(open_quote + 1, close_quote - open_quote - 1);
    if (!StartsWith(path, "/")) continue;
    const bool writes = name == "unlink" || name == "unlinkat" || name == "rename" ||
                        name == "renameat" || name == "renameat2" || name == "mkdir" ||
                        name == "mkdirat" ||
                        ((name == "open" || name == "openat") &&
                         std::any_of(std::begin(kWriteFlags), std::end(kWriteFlags),
                                     [&](const char* f) { return args.find(f) != std::string::npos; }));
    if (writes) {
      EXPECT_TRUE(
          std::any_of(rw.begin(), rw.end(), [&](const std::string& d) { return IsUnder(path, d); }))
          << "writes outside ReadWritePaths: " << line;
    }
    for (const char* hidden : {"/tmp", "/var/tmp", "/home", "/root", "/run/user"}) {
      // The binary and its tree stand in for /usr/bin/etcdsnap: a checkout under /tmp is fine.
      if (IsUnder(path, hidden) && !IsUnder(path, node_.path()) &&
          !IsUnder(path, ETCDSNAP_BINARY_DIR) && !IsUnder(path, ETCDSNAP_SOURCE_DIR)) {
        ADD_FAILURE() << "uses " << path << ", which the sandbox hides: " << line;
      }
    }
    if (IsUnder(path, "/dev")) {
      static const std::set<std::string> kPrivateDev = {"/dev/null",   "/dev/zero",    "/dev/full",
                                                        "/dev/random", "/dev/urandom", "/dev/tty"};
      EXPECT_EQ(kPrivateDev.count(path), 1u) << "PrivateDevices= hides " << path;
    }
  }
  EXPECT_GT(calls, 100) << "the trace holds almost nothing:\n" << text.substr(0, 2000);
  EXPECT_TRUE(used.count("socket") != 0 && used.count("renameat2") + used.count("rename") != 0)
      << "the trace missed the run's network or its rename";
  EXPECT_TRUE(denied.empty()) << "system calls outside SystemCallFilter (SIGSYS): "
                              << ::testing::PrintToString(denied);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes CronJob and its image

struct Dockerfile {
  std::string from;
  std::vector<std::pair<std::string, std::string>> copies;  // source, destination
  std::vector<std::string> entrypoint;
  std::vector<std::string> other;  // any other instruction
};

Dockerfile ReadDockerfile() {
  Dockerfile d;
  for (const std::string& line : Lines(ReadExample("Dockerfile"))) {
    const std::vector<std::string> f = Fields(line);
    if (f.empty() || f[0][0] == '#') continue;
    if (f[0] == "FROM" && f.size() == 2) {
      d.from = f[1];
    } else if (f[0] == "COPY" && f.size() == 3) {
      d.copies.emplace_back(f[1], f[2]);
    } else if (f[0] == "ENTRYPOINT") {
      const Json j = Json::parse(line.substr(line.find('[')), nullptr, false);
      if (j.is_array()) {
        for (const auto& w : j) d.entrypoint.push_back(w.get<std::string>());
      }
    } else {
      d.other.push_back(line);
    }
  }
  return d;
}

class CronJobExampleTest : public ExamplesTest {
 protected:
  void SetUp() override {
    ExamplesTest::SetUp();
    const CommandResult has_yaml =
        RunCommand({kDebianPython, "-c", "import yaml"}, {}, seconds(30));
    ETCDSNAP_REQUIRE_OR_SKIP(has_yaml.exit_code == 0,
                             "python3-yaml is needed to read the manifest (scripts/deps.sh)");
    static const char* kScript =
        "import json, sys, yaml\n"
        "print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))\n";
    const CommandResult r = RunCommand(
        {kDebianPython, "-c", kScript, kExamples + "etcdsnap-cronjob.yaml"}, {}, seconds(30));
    ASSERT_EQ(r.exit_code, 0) << "the manifest does not parse as YAML\n" << r.Describe();
    const Json docs = Json::parse(r.out, nullptr, false);
    ASSERT_TRUE(docs.is_array() && docs.size() == 1) << r.out;
    cronjob_ = docs[0];
    const Json* pod = &cronjob_;
    for (const char* key : {"spec", "jobTemplate", "spec", "template", "spec"}) {
      ASSERT_TRUE(pod->contains(key)) << "no " << key << " on the way to the pod spec";
      pod = &(*pod)[key];
    }
    pod_ = *pod;
    ASSERT_TRUE(pod_.contains("containers") && pod_["containers"].size() == 1);
    container_ = pod_["containers"][0];
    // Container paths to host paths, through the volumes.
    for (const Json& m : container_.value("volumeMounts", Json::array())) {
      for (const Json& v : pod_.value("volumes", Json::array())) {
        if (v["name"] == m["name"] && v.contains("hostPath")) {
          mounts_.push_back({m["mountPath"], v["hostPath"]["path"], m.value("readOnly", false)});
        }
      }
    }
    ASSERT_EQ(mounts_.size(), container_["volumeMounts"].size()) << "a mount without a hostPath";
  }

  struct Mount {
    std::string container_path, host_path;
    bool read_only;
  };
  const Mount* MountOf(const std::string& path) const {
    const Mount* best = nullptr;
    for (const Mount& m : mounts_) {
      if (IsUnder(path, m.container_path) &&
          (best == nullptr || m.container_path.size() > best->container_path.size())) {
        best = &m;
      }
    }
    return best;
  }
  // The container's argv with each mounted path as the host's, then mapped to the test's.
  std::vector<std::string> HostArgv() const {
    std::vector<std::string> argv;
    for (const Json& w : container_["command"]) argv.push_back(w);
    for (const Json& w : container_["args"]) argv.push_back(w);
    for (size_t i = 1; i < argv.size(); ++i) {
      for (const std::string& p : PathsIn({argv[i]})) {
        if (const Mount* m = MountOf(p); m != nullptr) {
          ReplaceAll(argv[i], p, m->host_path + p.substr(m->container_path.size()));
        }
      }
    }
    argv[0] = kInstalledBinary;
    return Map(argv);
  }

  Json cronjob_, pod_, container_;
  std::vector<Mount> mounts_;
};

TEST_F(CronJobExampleTest, IsABatchV1CronJobOnControlPlaneNodes) {
  EXPECT_EQ(cronjob_["apiVersion"], "batch/v1");
  EXPECT_EQ(cronjob_["kind"], "CronJob");
  EXPECT_EQ(cronjob_["spec"].value("concurrencyPolicy", ""), "Forbid");
  const std::vector<std::string> schedule = Fields(cronjob_["spec"].value("schedule", ""));
  EXPECT_EQ(schedule.size(), 5u);
  EXPECT_EQ(pod_.value("restartPolicy", ""), "Never");
  // 127.0.0.1:2379 is etcd only in the node's own network namespace.
  EXPECT_EQ(pod_.value("hostNetwork", false), true);
  const std::string role = "node-role.kubernetes.io/control-plane";
  EXPECT_TRUE(pod_["nodeSelector"].contains(role)) << pod_["nodeSelector"];
  bool tolerated = false;
  for (const Json& t : pod_.value("tolerations", Json::array())) {
    tolerated |= t.value("key", "") == role && t.value("effect", "") == "NoSchedule" &&
                 t.value("operator", "Equal") == "Exists";
  }
  EXPECT_TRUE(tolerated) << pod_["tolerations"];
  // The host's etcd PKI, read-only.
  const Mount* pki = nullptr;
  for (const Mount& m : mounts_) {
    if (m.host_path == kKubeadmPki) pki = &m;
  }
  ASSERT_NE(pki, nullptr) << "no hostPath mount of " << kKubeadmPki;
  EXPECT_TRUE(pki->read_only);
}

TEST_F(CronJobExampleTest, UsesOnlyWhatTheImageAndTheMountsProvide) {
  const Dockerfile image = ReadDockerfile();
  EXPECT_EQ(image.from, "debian:12-slim");
  EXPECT_TRUE(image.other.empty()) << "the image should hold the binary and nothing else: "
                                   << ::testing::PrintToString(image.other);
  ASSERT_EQ(image.copies.size(), 1u);
  const std::string binary = image.copies[0].second;
  EXPECT_EQ(image.copies[0].first, "etcdsnap") << "the release build's binary";
  EXPECT_EQ(image.entrypoint, std::vector<std::string>{binary});
  ASSERT_TRUE(container_.contains("command"));
  EXPECT_EQ(container_["command"], Json::array({binary}));
  // The image the manifest names is this release.
  EXPECT_EQ(container_.value("image", ""),
            std::string("registry.example.com/etcdsnap:") + ETCDSNAP_VERSION);

  std::vector<std::string> args;
  for (const Json& w : container_["args"]) args.push_back(w);
  const bool read_only_root =
      container_.value("securityContext", Json::object()).value("readOnlyRootFilesystem", false);
  EXPECT_TRUE(read_only_root);
  // Files come from mounts: certificates from the read-only PKI, writes to writable ones.
  for (const char* flag : {"--cacert", "--cert", "--key"}) {
    const Mount* m = MountOf(FlagValue(args, flag));
    ASSERT_NE(m, nullptr) << flag << " is not on a mount";
    EXPECT_TRUE(m->read_only) << flag;
  }
  const std::vector<std::string> operands = SaveOperands(args);
  ASSERT_EQ(operands.size(), 1u);
  for (const std::string& written : {operands[0], FlagValue(args, "--metrics-file")}) {
    const Mount* m = MountOf(written);
    ASSERT_NE(m, nullptr) << written << " is not on a mount (the root file system is read-only)";
    EXPECT_FALSE(m->read_only) << written;
  }
  for (const std::string& p : PathsIn(args)) EXPECT_NE(MountOf(p), nullptr) << p;
}

TEST_F(CronJobExampleTest, ArgumentsSaveWithTheHostsPathsMapped) {
  ETCDSNAP_REQUIRE_OR_SKIP(ServerReady(), "etcd is needed");
  const std::vector<std::string> argv = HostArgv();
  ASSERT_TRUE(OnlyMappedPaths(argv));
  const CommandResult r = RunCommand(argv, {}, seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  for (const std::string& line : Lines(r.err)) {
    EXPECT_TRUE(Json::parse(line, nullptr, false).is_object()) << line;
  }
  ExpectSaved(argv);
}

// The three schedules keep and compress alike, and save to the same host directories.
TEST_F(CronJobExampleTest, AgreesWithTheCrontabAndTheUnit) {
  const Crontab c = ReadCrontab();
  ASSERT_EQ(c.jobs.size(), 1u);
  const std::vector<std::string> cron = ShellWords(CronCommand(CommandField(c.jobs[0])));
  const auto unit = ReadUnit(ReadExample("etcdsnap-backup.service"));
  const std::vector<std::string> service = ShellWords(Only(unit, "Service.ExecStart"));
  std::vector<std::string> job;
  for (const Json& w : container_["args"]) job.push_back(w);
  EXPECT_FALSE(Policy(cron).empty());
  EXPECT_EQ(Policy(service), Policy(cron));
  EXPECT_EQ(Policy(job), Policy(cron));
  const Mount* backups = MountOf(SaveOperands(job).at(0));
  ASSERT_NE(backups, nullptr);
  EXPECT_EQ(backups->host_path, kBackupDir);
  EXPECT_EQ(Dirname(SaveOperands(cron).at(0)), kBackupDir);
  const Mount* textfile = MountOf(FlagValue(job, "--metrics-file"));
  ASSERT_NE(textfile, nullptr);
  EXPECT_EQ(textfile->host_path, kTextfileDir);
  EXPECT_EQ(Dirname(FlagValue(cron, "--metrics-file")), kTextfileDir);
}

}  // namespace
}  // namespace etcdsnap::testing
