// `snapshot save` for scheduled runs, against a real etcd: name templates, retention over a
// directory seeded with dated files and look-alikes, two saves of one template at once, the
// metrics textfile (parsed by Debian's python3-prometheus-client), the manifest as status,
// verify and restore check it, -w json, --log-format json and --quiet; and `snapshot prune`.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "require.h"
#include "save_fixture.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using std::chrono::seconds;

std::string Hex(uint64_t id) {
  std::ostringstream s;
  s << std::hex << id;
  return s.str();
}

std::string Sha256Hex(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  std::string out;
  for (unsigned char c : d) out += "0123456789abcdef"[c >> 4], out += "0123456789abcdef"[c & 15];
  return out;
}

std::string Utc(time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// The file names in `dir`, sorted.
// The directory's files, but for the run locks scheduled saves leave (".<template>.lock").
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name.starts_with(".") && name.ends_with(".lock")) continue;
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Waits until `path` holds `text` (a subprocess's log line) or `proc` ends; true if it does.
bool WaitForText(const std::string& path, const std::string& text, Subprocess& proc,
                 seconds timeout = seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadFileOrEmpty(path).find(text) != std::string::npos) return true;
    if (proc.Poll()) return ReadFileOrEmpty(path).find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls the log file
  }
  return false;
}

class SaveScheduleTest : public SaveTest {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty(), "etcd is needed");
    StartEtcd({.tls = false});
    EtcdTestClient c = etcd().Client();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.Put("k" + std::to_string(i), "v").ok());
    etcdserverpb::StatusResponse st;
    ASSERT_TRUE(c.MemberStatus(&st).ok());
    cluster_id_ = Hex(st.header().cluster_id());
    member_id_ = Hex(st.header().member_id());
    ASSERT_TRUE(c.Revision(&revision_).ok());
    fs::create_directory(Path("backups"));
  }
  std::string Dir() const { return Path("backups"); }
  std::vector<std::string> Endpoint() const {
    return {"--endpoints", cluster_->member(0).ClientUrl()};
  }
  CommandResult Save(const std::string& file, const std::vector<std::string>& flags,
                     const std::vector<std::string>& global = {}) {
    std::vector<std::string> g = Endpoint();
    g.insert(g.end(), global.begin(), global.end());
    return Etcdsnap(SaveCommand(g, file, flags));
  }

  std::string cluster_id_, member_id_;
  int64_t revision_ = 0;
};

TEST_F(SaveScheduleTest, TemplateIsExpandedInUtcOnceTheSnapshotIsTaken) {
  const std::string tmpl = Dir() + "/etcd-%Y%m%dT%H%M%SZ-{revision}-{member}-{cluster}-100%%.db";
  const time_t before = std::time(nullptr);
  // A local time zone 5h30 east of UTC (a POSIX TZ string: no tzdata needed): names are UTC.
  const CommandResult r =
      Etcdsnap(SaveCommand(Endpoint(), tmpl, {}), {.env = {{"TZ", "IST-5:30"}}});
  const time_t after = std::time(nullptr);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::string file;
  for (time_t t = before; t <= after && file.empty(); ++t) {
    const std::string name = Dir() + "/etcd-" + Utc(t, "%Y%m%dT%H%M%SZ") + "-" +
                             std::to_string(revision_) + "-" + member_id_ + "-" + cluster_id_ +
                             "-100%.db";
    if (r.out == "Snapshot saved at " + name + "\n") file = name;
  }
  ASSERT_FALSE(file.empty()) << "no name between the run's start and end\n" << r.Describe();
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_EQ(Listing(Dir()), std::vector<std::string>{fs::path(file).filename()});
}

// Review (issue #12): two runs whose template expands to one name (run twice a day with a daily
// template, or twice in a second) used to replace the first backup and cross their manifests.
// The second run now fails, naming the file, and leaves the first backup and its manifest as
// they were.
TEST_F(SaveScheduleTest, ASecondRunToTheSameExpandedNameReplacesNothing) {
  const std::string tmpl = Dir() + "/etcd-{cluster}.db";
  const std::string file = Dir() + "/etcd-" + cluster_id_ + ".db";
  const CommandResult first = Save(tmpl, {"--manifest"});
  ASSERT_TRUE(SavedCompleteSnapshot(first, file));
  const std::string data = ReadFileOrEmpty(file), manifest = ReadFileOrEmpty(file + ".json");
  ASSERT_TRUE(etcd().Client().Put("after-first", "x").ok());
  const CommandResult second = Save(tmpl, {"--manifest"});
  EXPECT_EQ(second.exit_code, 5) << second.Describe();
  EXPECT_TRUE(HasOneErrorLine(second));
  EXPECT_NE(second.err.find(file + " already exists (an earlier run made that name) and is not "
                                   "replaced; nothing was saved"),
            std::string::npos)
      << second.Describe();
  EXPECT_EQ(ReadFileOrEmpty(file), data);
  EXPECT_EQ(ReadFileOrEmpty(file + ".json"), manifest);
  EXPECT_EQ(Listing(Dir()), (std::vector<std::string>{fs::path(file).filename(),
                                                      fs::path(file).filename().string() +
                                                          ".json"}));
  const CommandResult verify = Etcdsnap({"snapshot", "verify", file});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
}

// etcdctl takes every name literally: one without a field must stay exactly as given, even
// when it looks like a template (a warning says so).
TEST_F(SaveScheduleTest, NameWithoutFieldsIsSavedLiterallyAsEtcdctlDoes) {
  const std::string file = Dir() + "/etcd-{revison}-50%.db";
  const CommandResult r = Save(file, {});
  EXPECT_TRUE(SavedCompleteSnapshot(r, file));
  EXPECT_NE(r.err.find("{revison} in " + file + " is not a name template field"),
            std::string::npos)
      << r.Describe();
}

TEST_F(SaveScheduleTest, BadTemplateFailsBeforeConnecting) {
  const CommandResult r = Save(Dir() + "/etcd-%Y-{revison}.db", {});
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_TRUE(HasOneErrorLine(r));
  EXPECT_NE(r.err.find("{revison} in " + Dir() + "/etcd-%Y-{revison}.db is not a name template "
                       "field"),
            std::string::npos)
      << r.Describe();
  EXPECT_TRUE(Listing(Dir()).empty());
}

// The files a template made in March, February and January 2025, the ones it could not have
// made, and a manifest: --keep-daily 2 --keep-monthly 3 keeps the new snapshot (today), the
// newest of 10 March (the newest day and month before it) and the newest of February.
class SaveRetentionTest : public SaveScheduleTest {
 protected:
  void Seed() {
    for (const std::string& n : kDated) WriteFileOrDie(Dir() + "/" + n, n);
    WriteFileOrDie(Dir() + "/etcd-20250301T000000Z.db.json", "{}");
    for (const std::string& n : kLookalikes) WriteFileOrDie(Dir() + "/" + n, n);
  }
  const std::string tmpl_ = Dir() + "/etcd-%Y%m%dT%H%M%SZ.db";
  const std::vector<std::string> kDated = {
      "etcd-20250310T200000Z.db", "etcd-20250310T100000Z.db", "etcd-20250301T000000Z.db",
      "etcd-20250215T000000Z.db", "etcd-20250201T000000Z.db", "etcd-20250120T000000Z.db"};
  const std::vector<std::string> kLookalikes = {
      "etcd-notmine.db", "etcd-20250101T000000Z.db.part", "etcd-20250102T000000Z.db.json",
      "etcd-20251301T000000Z.db", "etcd-20250103T000000Z.db.bak", "other-20250104T000000Z.db",
      "etcd-2025-01-05T000000Z.db"};
  const std::vector<std::string> kRemoved = {
      "etcd-20250120T000000Z.db", "etcd-20250201T000000Z.db", "etcd-20250301T000000Z.db.json",
      "etcd-20250301T000000Z.db", "etcd-20250310T100000Z.db"};
};

TEST_F(SaveRetentionTest, KeepsWhatThePolicySaysAndNeverALookalike) {
  Seed();
  const CommandResult r = Save(tmpl_, {"--keep-daily", "2", "--keep-monthly", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string saved = r.out.substr(std::string("Snapshot saved at ").size(),
                                         r.out.size() - 1 - std::string("Snapshot saved at ").size());
  std::vector<std::string> want = kLookalikes;
  want.insert(want.end(), {fs::path(saved).filename(), "etcd-20250310T200000Z.db",
                           "etcd-20250215T000000Z.db"});
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Listing(Dir()), want) << r.Describe();
  for (const std::string& n : kRemoved) {
    EXPECT_NE(r.err.find("removed old snapshot path=" + Dir() + "/" + n + "\n"), std::string::npos)
        << n << "\n" << r.Describe();
  }
}

TEST_F(SaveRetentionTest, DryRunListsAndRemovesNothing) {
  Seed();
  const CommandResult r =
      Save(tmpl_, {"--keep-daily", "2", "--keep-monthly", "3", "--dry-run"}, {"-w", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const Json j = Json::parse(r.out);
  std::vector<std::string> want;
  for (const std::string& n : kRemoved) want.push_back(Dir() + "/" + n);
  EXPECT_EQ(j["pruned"]["dryRun"], true);
  EXPECT_EQ(j["pruned"]["removed"].get<std::vector<std::string>>(), want);
  for (const std::string& n : kDated) EXPECT_TRUE(PathExists(Dir() + "/" + n)) << n;
}

TEST_F(SaveRetentionTest, PolicyTheTemplateCannotServeFailsBeforeConnecting) {
  const CommandResult r = Save(Dir() + "/etcd-%Y%m%d.db", {"--keep-hourly", "24"});
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
  EXPECT_NE(r.err.find("Error: --keep-hourly needs names that tell the time to that precision"),
            std::string::npos)
      << r.Describe();
  EXPECT_TRUE(Listing(Dir()).empty());
}

TEST_F(SaveRetentionTest, PruneCommandAppliesThePolicyWithoutASave) {
  Seed();
  const CommandResult dry = Etcdsnap({"snapshot", "prune", tmpl_, "--keep-last", "1", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.Describe();
  std::string want;
  for (const char* n : {"etcd-20250120T000000Z.db", "etcd-20250201T000000Z.db",
                               "etcd-20250215T000000Z.db", "etcd-20250301T000000Z.db.json",
                               "etcd-20250301T000000Z.db", "etcd-20250310T100000Z.db"}) {
    want += "Would remove " + Dir() + "/" + std::string(n) + "\n";
  }
  EXPECT_EQ(dry.out, want);
  EXPECT_EQ(Listing(Dir()).size(), kDated.size() + kLookalikes.size() + 1);
  const CommandResult real = Etcdsnap({"snapshot", "prune", tmpl_, "--keep-last", "1"});
  ASSERT_EQ(real.exit_code, 0) << real.Describe();
  std::vector<std::string> left = kLookalikes;
  left.push_back("etcd-20250310T200000Z.db");
  std::sort(left.begin(), left.end());
  EXPECT_EQ(Listing(Dir()), left);
}

// Two runs of one template: while the first holds the template's .part (stuck probing a
// frozen etcd), a second without --lock-timeout exits 75 and touches nothing; a third with
// --lock-timeout waits, and saves once the first is done, into its own file.
TEST_F(SaveScheduleTest, ConcurrentSavesOfOneTemplateTakeTurns) {
  const std::string tmpl = Dir() + "/etcd-{revision}.db";
  const std::vector<std::string> slow = {"--dial-timeout", "60s"};
  etcd().member(0).Pause();
  SubprocessOptions first_io{.stdout_path = Path("first.out"), .stderr_path = Path("first.err")};
  std::vector<std::string> argv = {EtcdsnapBinary()};
  for (const auto& a : SaveCommand(Endpoint(), tmpl, slow)) argv.push_back(a);
  Subprocess first(argv, first_io);
  ASSERT_TRUE(WaitForText(first_io.stderr_path, "created temporary db file", first))
      << ReadFileOrEmpty(first_io.stderr_path);

  const CommandResult busy = Save(tmpl, {});
  EXPECT_EQ(busy.exit_code, 75) << busy.Describe();
  EXPECT_TRUE(HasOneErrorLine(busy));
  const std::string lock = Dir() + "/.etcd-{revision}.db.lock";
  EXPECT_NE(busy.err.find("another save of " + tmpl + " is in progress (" + lock +
                          " is locked); wait for it to finish"),
            std::string::npos)
      << busy.Describe();
  EXPECT_EQ(Listing(Dir()), std::vector<std::string>{"etcd-{revision}.db.part"});

  SubprocessOptions third_io{.stdout_path = Path("third.out"), .stderr_path = Path("third.err")};
  std::vector<std::string> third_argv = {EtcdsnapBinary()};
  for (const auto& a : SaveCommand(Endpoint(), tmpl, {"--lock-timeout", "60s"})) {
    third_argv.push_back(a);
  }
  Subprocess third(third_argv, third_io);
  ASSERT_TRUE(WaitForText(third_io.stderr_path, "waiting for another save to finish", third))
      << ReadFileOrEmpty(third_io.stderr_path);
  // Held still until a key is written after the first save, so that the two snapshots differ
  // by revision (and by name).
  third.Signal(SIGSTOP);
  etcd().member(0).Resume();
  ASSERT_TRUE(first.WaitFor(seconds(60)));
  EXPECT_EQ(first.exit_code(), 0) << ReadFileOrEmpty(first_io.stderr_path);
  const std::string first_file = Dir() + "/etcd-" + std::to_string(revision_) + ".db";
  EXPECT_EQ(ReadFileOrEmpty(first_io.stdout_path), "Snapshot saved at " + first_file + "\n");
  ASSERT_TRUE(etcd().Client().Put("after-first", "x").ok());
  third.Signal(SIGCONT);
  ASSERT_TRUE(third.WaitFor(seconds(60)));
  EXPECT_EQ(third.exit_code(), 0) << ReadFileOrEmpty(third_io.stderr_path);
  const std::string third_file = Dir() + "/etcd-" + std::to_string(revision_ + 1) + ".db";
  EXPECT_EQ(ReadFileOrEmpty(third_io.stdout_path), "Snapshot saved at " + third_file + "\n");
  EXPECT_EQ(Listing(Dir()),
            (std::vector<std::string>{fs::path(first_file).filename(),
                                      fs::path(third_file).filename()}));
  // The run lock stays, empty, for the next run (removing it would let a third run lock a new
  // file while a second still waits on the old one).
  EXPECT_EQ(fs::file_size(lock), 0u);
  for (const std::string& f : {first_file, third_file}) {
    const std::string data = ReadFileOrEmpty(f);
    ASSERT_EQ(data.size() % 512, 32u) << f;
    EXPECT_EQ(data.substr(data.size() - 32),
              std::string(reinterpret_cast<const char*>(
                              SHA256(reinterpret_cast<const unsigned char*>(data.data()),
                                     data.size() - 32, nullptr)),
                          32))
        << f;
  }
}

// Debian's interpreter, which python3-prometheus-client installs for (a python3 earlier in
// PATH, pyenv's say, would not have it).
constexpr const char* kDebianPython = "/usr/bin/python3";

// The metrics file as Prometheus reads it: every sample by name, with its labels.
Json ParseMetrics(const std::string& path) {
  static const char* kScript =
      "import json, sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "out = {}\n"
      "for fam in text_string_to_metric_families(open(sys.argv[1]).read()):\n"
      "    for s in fam.samples:\n"
      "        out[s.name] = {'labels': s.labels, 'value': s.value, 'type': fam.type}\n"
      "print(json.dumps(out))\n";
  const CommandResult r = RunCommand({kDebianPython, "-c", kScript, path}, {}, seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  return Json::parse(r.out, nullptr, false);
}

TEST_F(SaveScheduleTest, MetricsAfterASuccessAndAfterAFailure) {
  ETCDSNAP_REQUIRE_OR_SKIP(
      RunCommand({kDebianPython, "-c", "import prometheus_client"}, {}, seconds(30)).exit_code == 0,
      "python3-prometheus-client is needed to parse the metrics file (scripts/deps.sh)");
  const std::string prom = Path("etcd.prom");
  const std::string file = Dir() + "/etcd.db";
  const double before = static_cast<double>(std::time(nullptr));
  const CommandResult ok = Save(file, {"--metrics-file", prom});
  ASSERT_TRUE(SavedCompleteSnapshot(ok, file));
  const double after = static_cast<double>(std::time(nullptr)) + 1;
  const Json m = ParseMetrics(prom);
  const Json cluster = {{"cluster", cluster_id_}};
  const std::string p = "etcdsnap_snapshot_";
  for (const char* name : {"last_success_timestamp_seconds", "last_success_size_bytes",
                           "last_success_revision", "last_success_duration_seconds",
                           "last_attempt_timestamp_seconds", "last_attempt_success",
                           "last_attempt_exit_code", "last_attempt_duration_seconds"}) {
    ASSERT_TRUE(m.contains(p + name)) << name << "\n" << ReadFileOrEmpty(prom);
    EXPECT_EQ(m[p + name]["labels"], cluster) << name;
    EXPECT_EQ(m[p + name]["type"], "gauge") << name;
  }
  EXPECT_EQ(m[p + "last_success_size_bytes"]["value"], static_cast<double>(FileSize(file)));
  EXPECT_EQ(m[p + "last_success_revision"]["value"], static_cast<double>(revision_));
  EXPECT_EQ(m[p + "last_attempt_success"]["value"], 1.0);
  EXPECT_EQ(m[p + "last_attempt_exit_code"]["value"], 0.0);
  const double success_at = m[p + "last_success_timestamp_seconds"]["value"];
  EXPECT_GE(success_at, before);
  EXPECT_LE(success_at, after);
  struct stat st {};
  ASSERT_EQ(::stat(prom.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  // The same job against a member that is down: the attempt figures say so, the success
  // figures (and the cluster label) are the last success's.
  const RefusedPort down;
  const CommandResult failed = Etcdsnap(
      SaveCommand({"--endpoints", down.Endpoint()}, file, {"--metrics-file", prom}));
  ASSERT_EQ(failed.exit_code, 2) << failed.Describe();
  const Json f = ParseMetrics(prom);
  for (const char* name : {"last_success_timestamp_seconds", "last_success_size_bytes",
                           "last_success_revision", "last_success_duration_seconds"}) {
    EXPECT_EQ(f[p + name], m[p + name]) << name;
  }
  EXPECT_EQ(f[p + "last_attempt_success"]["value"], 0.0);
  EXPECT_EQ(f[p + "last_attempt_exit_code"]["value"], 2.0);
  EXPECT_EQ(f[p + "last_attempt_success"]["labels"], cluster);
  EXPECT_GE(f[p + "last_attempt_timestamp_seconds"]["value"].get<double>(), success_at);
  EXPECT_FALSE(PathExists(prom + ".part"));
}

TEST_F(SaveScheduleTest, ManifestWrittenBesideTheSnapshotAndCheckedByStatusVerifyAndRestore) {
  auto Run = [this](const std::vector<std::string>& args) { return Etcdsnap(args); };
  const std::string file = Dir() + "/etcd.db";
  const CommandResult r = Save(file, {"--manifest"});
  ASSERT_TRUE(SavedCompleteSnapshot(r, file));
  const std::string manifest = file + ".json";
  struct stat st {};
  ASSERT_EQ(::stat(manifest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const Json m = Json::parse(ReadFileOrEmpty(manifest));
  const std::string data = ReadFileOrEmpty(file);
  EXPECT_EQ(m["format"], "etcdsnap-manifest/1");
  EXPECT_EQ(m["file"], "etcd.db");
  EXPECT_EQ(m["size"], data.size());
  EXPECT_EQ(m["sha256"], Sha256Hex(data));
  EXPECT_EQ(m["snapshot"]["size"], data.size());
  std::string trailer;
  for (unsigned char c : data.substr(data.size() - 32)) {
    trailer += "0123456789abcdef"[c >> 4];
    trailer += "0123456789abcdef"[c & 15];
  }
  EXPECT_EQ(m["snapshot"]["sha256"], trailer);
  EXPECT_EQ(m["compression"], "none");
  EXPECT_EQ(m["revision"], revision_);
  EXPECT_EQ(m["clusterId"], cluster_id_);
  EXPECT_EQ(m["memberId"], member_id_);
  EXPECT_EQ(m["endpoint"], etcd().member(0).ClientUrl());
  EXPECT_EQ(m["serverVersion"], "3.4.23");
  EXPECT_GT(m["raftIndex"].get<uint64_t>(), 0u);
  EXPECT_GT(m["dbSize"].get<int64_t>(), 0);
  EXPECT_EQ(m["tool"].get<std::string>().rfind("etcdsnap ", 0), 0u);
  EXPECT_LE(m["started"].get<std::string>(), m["finished"].get<std::string>());
  EXPECT_EQ(m["started"].get<std::string>().back(), 'Z');

  // A copy without a manifest is what etcdctl's status prints; the manifest changes nothing.
  fs::copy_file(file, Path("plain.db"));
  const CommandResult plain = Run({"snapshot", "status", Path("plain.db")});
  const CommandResult status = Run({"snapshot", "status", file});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_EQ(status.out, plain.out);
  EXPECT_EQ(status.err, "") << status.Describe();
  const CommandResult verify = Run({"snapshot", "verify", file});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
  EXPECT_NE(verify.out.find("manifest: ok (size and sha256 match " + manifest + ")\n"),
            std::string::npos)
      << verify.Describe();

  // The file no longer matches its manifest (here the manifest is edited, so that only the
  // manifest check can notice: the snapshot itself stays sound).
  Json edited = m;
  edited["sha256"] = std::string(64, '0');
  WriteFileOrDie(manifest, edited.dump());
  const std::string says = file + " does not match its manifest: its sha256 is " +
                           Sha256Hex(data) + ", " + manifest + " says " + std::string(64, '0');
  const CommandResult status2 = Run({"snapshot", "status", file});
  EXPECT_EQ(status2.exit_code, 0) << status2.Describe();
  EXPECT_EQ(status2.out, plain.out);
  EXPECT_EQ(status2.err, "warning: " + says + " (the file changed after it was saved)\n");
  const CommandResult verify2 = Run({"snapshot", "verify", file});
  EXPECT_EQ(verify2.exit_code, 1) << verify2.Describe();
  EXPECT_NE(verify2.out.find("manifest: MISMATCH (its sha256 is " + Sha256Hex(data)),
            std::string::npos)
      << verify2.Describe();
  EXPECT_NE(verify2.out.find("FAILED: 1 problems found in " + file), std::string::npos);
  const CommandResult restore =
      Run({"snapshot", "restore", file, "--data-dir", Path("restored")});
  EXPECT_EQ(restore.exit_code, 0) << restore.Describe();
  EXPECT_NE(restore.err.find("warning: " + says + " (the file changed after it was saved); "
                             "restoring it anyway"),
            std::string::npos)
      << restore.Describe();
  EXPECT_TRUE(fs::is_directory(Path("restored") + "/member/wal"));

  // A later save to the same name without --manifest replaces the snapshot: the manifest of
  // the old one would be wrong, so it goes (and nothing else named .json would).
  const CommandResult again = Save(file, {});
  ASSERT_TRUE(SavedCompleteSnapshot(again, file));
  EXPECT_FALSE(PathExists(manifest)) << again.Describe();
  EXPECT_EQ(Run({"snapshot", "status", file}).err, "");
}

// The scheduled features with compression: the template's {revision} comes from the stream (the
// file on disk is not bbolt), the manifest describes the compressed file as written and the
// snapshot inside it, and verify checks both.
TEST_F(SaveScheduleTest, CompressedTemplatedSaveWithManifest) {
  const CommandResult r =
      Save(Dir() + "/etcd-{revision}.db.zst", {"--manifest", "--compress", "zstd", "-w", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string file = Dir() + "/etcd-" + std::to_string(revision_) + ".db.zst";
  ASSERT_TRUE(PathExists(file)) << r.Describe();
  const Json summary = Json::parse(r.out);
  EXPECT_EQ(summary["path"], file);
  EXPECT_EQ(summary["compression"], "zstd");
  EXPECT_EQ(summary["revision"], revision_);
  const Json m = Json::parse(ReadFileOrEmpty(file + ".json"));
  const std::string data = ReadFileOrEmpty(file);
  EXPECT_EQ(m["compression"], "zstd");
  EXPECT_EQ(m["size"], data.size());
  EXPECT_EQ(m["sha256"], Sha256Hex(data));
  EXPECT_GT(m["snapshot"]["size"].get<uint64_t>(), data.size());
  const CommandResult verify = Etcdsnap({"snapshot", "verify", file});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
  EXPECT_NE(verify.out.find("zstd-compressed in " + std::to_string(data.size())),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("manifest: ok"), std::string::npos) << verify.out;
}

TEST_F(SaveScheduleTest, JsonSummaryOnStdout) {
  const std::string file = Dir() + "/etcd.db";
  const CommandResult r = Save(file, {}, {"-w", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  const Json j = Json::parse(r.out);
  const std::string data = ReadFileOrEmpty(file);
  EXPECT_EQ(j["path"], file);
  EXPECT_EQ(j["size"], data.size());
  EXPECT_EQ(j["sha256"], Sha256Hex(data));
  EXPECT_EQ(j["revision"], revision_);
  EXPECT_EQ(j["endpoint"], etcd().member(0).ClientUrl());
  EXPECT_EQ(j["member"], member_id_);
  EXPECT_EQ(j["cluster"], cluster_id_);
  EXPECT_GE(j["durationSeconds"].get<double>(), 0.0);
}

// Every stderr line is one JSON object with zap's keys, errors included.
TEST_F(SaveScheduleTest, JsonLogsForEveryLineAndQuietForErrorsOnly) {
  const std::string file = Dir() + "/etcd.db";
  const CommandResult r = Save(file, {}, {"--log-format", "json"});
  ASSERT_TRUE(SavedCompleteSnapshot(r, file));
  std::istringstream lines(r.err);
  int count = 0;
  bool saw_saved = false;
  for (std::string line; std::getline(lines, line); ++count) {
    const Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j["level"].is_string() && j["ts"].is_number() && j["msg"].is_string()) << line;
    if (j["msg"] == "saved") {
      saw_saved = true;
      EXPECT_EQ(j["path"], file);
    }
  }
  EXPECT_GT(count, 2);
  EXPECT_TRUE(saw_saved) << r.err;

  const RefusedPort down;
  const CommandResult failed = Etcdsnap(SaveCommand(
      {"--endpoints", down.Endpoint(), "--log-format", "json"}, Dir() + "/other.db"));
  EXPECT_EQ(failed.exit_code, 2);
  const Json last = Json::parse(failed.err.substr(failed.err.rfind('\n', failed.err.size() - 2) + 1));
  EXPECT_EQ(last["level"], "error") << failed.Describe();
  EXPECT_NE(last["msg"].get<std::string>().find("cannot reach " + down.Endpoint()),
            std::string::npos);

  const CommandResult quiet = Save(Dir() + "/quiet.db", {}, {"--quiet"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.Describe();
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(quiet.err, "");
  EXPECT_TRUE(PathExists(Dir() + "/quiet.db"));
  const CommandResult quiet_failed = Etcdsnap(
      SaveCommand({"--endpoints", down.Endpoint(), "--quiet"}, Dir() + "/other.db"));
  EXPECT_EQ(quiet_failed.exit_code, 2);
  EXPECT_EQ(quiet_failed.err.rfind("Error: ", 0), 0u) << quiet_failed.Describe();
  EXPECT_TRUE(HasOneErrorLine(quiet_failed));
  EXPECT_EQ(std::count(quiet_failed.err.begin(), quiet_failed.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace etcdsnap::testing
