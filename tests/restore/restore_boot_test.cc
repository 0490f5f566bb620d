// `etcdsnap snapshot restore` against the real etcd 3.4.23 server: a source etcd is filled
// (overwrites, deletions, a compaction, a lease with keys, values on overflow pages), saved with
// etcdsnap, restored with etcdsnap into new data dirs, and etcd is booted on each of them. What
// the restored cluster serves is read with etcdctl and compared with what the source served.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "etcd_cluster.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

CommandResult Etcdsnap(const std::vector<std::string>& args,
                       std::chrono::seconds timeout = std::chrono::seconds(120)) {
  std::vector<std::string> argv = {EtcdsnapBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {}, timeout);
}

CommandResult Ctl(const std::string& endpoint, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {FindExecutable("etcdctl"), "--endpoints", endpoint};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {}, std::chrono::seconds(30));
}

Json CtlJson(const std::string& endpoint, const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.insert(a.end(), {"-w", "json"});
  CommandResult r = Ctl(endpoint, a);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  Json j = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

// Every key as etcd serves it (key, value, create and mod revision, version, lease) and the
// store's revision; serializable, so each member of a cluster answers from its own store.
struct Store {
  int64_t revision = 0;
  Json kvs;
};

Store ReadStore(const std::string& endpoint) {
  Json j = CtlJson(endpoint, {"get", "", "--from-key", "--consistency=s"});
  Store s;
  if (j.is_object()) {
    s.revision = j["header"].value("revision", int64_t{0});
    s.kvs = j.value("kvs", Json::array());
  }
  return s;
}

std::string Hex(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(id));
  return buf;
}

class RestoreBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty() && !FindExecutable("etcdctl").empty(),
                             "etcd and etcdctl are needed to boot restored data dirs");
    source_ = std::make_unique<EtcdCluster>(EtcdOptions{.tls = false}, nullptr);
    ASSERT_TRUE(source_->Start());
    EtcdTestClient c = source_->Client();
    // Overwrites (versions), deletions, a compaction, binary and large values, a lease.
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(c.Put("/registry/pods/ns" + std::to_string(i % 5) + "/pod-" + std::to_string(i),
                        "v" + std::to_string(i))
                      .ok());
    }
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.Put("/registry/pods/ns0/pod-0", "again").ok());
    ASSERT_TRUE(c.Delete("/registry/pods/ns1/pod-1").ok());
    ASSERT_TRUE(c.Put("/bin", std::string("\x00\xff\x01 binary", 10)).ok());
    ASSERT_TRUE(c.Put("/big", std::string(20000, 'b')).ok());
    int64_t rev = 0;
    ASSERT_TRUE(c.Revision(&rev).ok());
    ASSERT_TRUE(c.Compact(rev - 5).ok());
    ASSERT_TRUE(c.LeaseGrant(3600, &lease_).ok());
    ASSERT_TRUE(c.Put("/leased/a", "1", lease_).ok());
    ASSERT_TRUE(c.Put("/leased/b", "2", lease_).ok());
    ASSERT_TRUE(c.Put("/last", "x").ok());
    saved_ = ReadStore(source_->member(0).Endpoint());
    ASSERT_GT(saved_.revision, 70);
    ASSERT_EQ(saved_.kvs.size(), 64u);  // 59 pods, /bin, /big, two leased, /last
    snapshot_ = dir_.Join("snap.db");
    CommandResult r =
        Etcdsnap({"--endpoints", source_->member(0).Endpoint(), "snapshot", "save", snapshot_});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }

  // Restores the snapshot for `member` of the cluster being started.
  ::testing::AssertionResult RestoreFor(const EtcdServer& member, const std::string& cluster,
                                        const std::string& token,
                                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "snapshot", "restore", snapshot_, "--name", member.name(), "--data-dir",
        member.DataDir(), "--initial-cluster", cluster, "--initial-cluster-token", token,
        "--initial-advertise-peer-urls", member.PeerUrl()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = Etcdsnap(args);
    restore_logs_ += r.err;
    if (r.exit_code != 0) return ::testing::AssertionFailure() << "restore: " << r.Describe();
    return ::testing::AssertionSuccess();
  }

  // A cluster of `members` booted from restores of the snapshot.
  std::unique_ptr<EtcdCluster> Boot(int members, std::vector<std::string> extra = {}) {
    EtcdOptions o{.members = members, .tls = false};
    o.prepare = [this, extra](const EtcdServer& m, const std::string& cluster,
                              const std::string& token) {
      return RestoreFor(m, cluster, token, extra);
    };
    auto cluster = std::make_unique<EtcdCluster>(o, nullptr);
    EXPECT_TRUE(cluster->Start());
    return cluster;
  }

  void ExpectServesTheSnapshot(const std::string& endpoint) {
    Store s = ReadStore(endpoint);
    EXPECT_EQ(s.revision, saved_.revision) << endpoint;
    EXPECT_EQ(s.kvs, saved_.kvs) << endpoint;
  }

  TempDir dir_{"etcdsnap-restore"};
  std::unique_ptr<EtcdCluster> source_;
  Store saved_;
  int64_t lease_ = 0;
  std::string snapshot_;
  std::string restore_logs_;
};

TEST_F(RestoreBootTest, OneMemberServesEverythingAsSaved) {
  auto cluster = Boot(1);
  ASSERT_TRUE(cluster->member(0).running());
  const std::string ep = cluster->member(0).Endpoint();
  ExpectServesTheSnapshot(ep);

  // Exactly the new member.
  Json members = CtlJson(ep, {"member", "list"});
  ASSERT_EQ(members["members"].size(), 1u) << members.dump();
  EXPECT_EQ(members["members"][0]["name"], "m0");
  EXPECT_EQ(members["members"][0]["peerURLs"], Json::array({cluster->member(0).PeerUrl()}));

  // The lease and its keys came through.
  Json ttl = CtlJson(ep, {"lease", "timetolive", Hex(lease_), "--keys"});
  EXPECT_EQ(ttl.value("granted-ttl", 0), 3600) << ttl.dump();
  EXPECT_GT(ttl.value("ttl", 0), 0) << ttl.dump();
  EXPECT_EQ(ttl["keys"].size(), 2u) << ttl.dump();

  // New writes are accepted and continue the revision.
  CommandResult put = Ctl(ep, {"put", "/after", "restore", "-w", "json"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  EXPECT_EQ(Json::parse(put.out)["header"]["revision"], saved_.revision + 1);

  // The log lines runbooks grep for: once each, and one `added member` per member.
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = restore_logs_.find(what); at != std::string::npos;
         at = restore_logs_.find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count(" restoring snapshot path="), 1u) << restore_logs_;
  EXPECT_EQ(count(" added member cluster-id="), 1u) << restore_logs_;
  EXPECT_EQ(count(" restored snapshot path="), 1u) << restore_logs_;
  // Kubernetes keys and no --bump-revision: one warning that says why and how.
  EXPECT_NE(restore_logs_.find("--bump-revision 1000000000 --mark-compacted"), std::string::npos)
      << restore_logs_;
}

// What etcd's own bbolt (1.3.6) says of the files restore wrote: tx.Check() and a walk of every
// bucket (tests/oracle/bbolt_check.go), with and without a bump.
TEST_F(RestoreBootTest, RestoredDbPassesBboltsOwnCheck) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--bump-revision", "7",
                                                              "--mark-compacted"}}) {
    const std::string data = dir_.Join("checked-" + std::to_string(extra.size()));
    std::vector<std::string> args = {"snapshot", "restore", snapshot_, "--data-dir", data};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = Etcdsnap(args);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    CommandResult check = RunCommand(
        {std::string(ETCDSNAP_ORACLE_DIR) + "/bbolt_check", data + "/member/snap/db"}, {});
    EXPECT_EQ(check.exit_code, 0) << check.Describe();
    EXPECT_EQ(check.out, "ok\n") << check.Describe();
  }
}

TEST_F(RestoreBootTest, ThreeMembersFromOneSnapshotFormOneCluster) {
  auto cluster = Boot(3);
  // Start() waited until every member answered a linearizable read: a leader was elected.
  std::set<uint64_t> leaders;
  for (int i = 0; i < 3; ++i) {
    const std::string ep = cluster->member(i).Endpoint();
    ExpectServesTheSnapshot(ep);
    Json status = CtlJson(ep, {"endpoint", "status"});
    ASSERT_TRUE(status.is_array() && status.size() == 1) << status.dump();
    leaders.insert(status[0]["Status"]["leader"].get<uint64_t>());
    Json members = CtlJson(ep, {"member", "list"});
    EXPECT_EQ(members["members"].size(), 3u) << members.dump();
  }
  EXPECT_EQ(leaders.size(), 1u);
  EXPECT_NE(*leaders.begin(), 0u);
  // Three restores, each logging all three members.
  size_t added = 0;
  for (size_t at = restore_logs_.find(" added member cluster-id="); at != std::string::npos;
       at = restore_logs_.find(" added member cluster-id=", at + 1)) {
    ++added;
  }
  EXPECT_EQ(added, 9u) << restore_logs_;
  // A write through one member is read from another.
  ASSERT_EQ(Ctl(cluster->member(0).Endpoint(), {"put", "/x", "1"}).exit_code, 0);
  CommandResult got = Ctl(cluster->member(2).Endpoint(), {"get", "/x", "--print-value-only"});
  EXPECT_EQ(got.out, "1\n") << got.Describe();
}

TEST_F(RestoreBootTest, BumpRevisionMovesTheRevisionAndCompactsTheOldOnes) {
  auto cluster = Boot(1, {"--bump-revision", "1000", "--mark-compacted"});
  const std::string ep = cluster->member(0).Endpoint();
  Store s = ReadStore(ep);
  EXPECT_EQ(s.revision, saved_.revision + 1000);
  EXPECT_EQ(s.kvs, saved_.kvs);
  CommandResult old = Ctl(ep, {"get", "/last", "--rev", std::to_string(saved_.revision)});
  EXPECT_EQ(old.exit_code, 1) << old.Describe();
  EXPECT_NE(old.err.find("required revision has been compacted"), std::string::npos)
      << old.Describe();
  CommandResult put = Ctl(ep, {"put", "/after", "bump", "-w", "json"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  EXPECT_EQ(Json::parse(put.out)["header"]["revision"], saved_.revision + 1001);
  EXPECT_NE(restore_logs_.find("bumping latest revision"), std::string::npos) << restore_logs_;
  EXPECT_NE(restore_logs_.find("marking revision compacted"), std::string::npos);
  EXPECT_EQ(restore_logs_.find("--bump-revision 1000000000"), std::string::npos)
      << "no Kubernetes warning when the revision was bumped";
}

// save --compress → status → verify → restore → etcd boots, for zstd and gzip: every command
// reads the compressed file as it is, and says the same as for the plain one.
TEST_F(RestoreBootTest, CompressedSnapshotsRoundTrip) {
  const std::string plain_status =
      Etcdsnap({"snapshot", "status", snapshot_, "-w", "json"}).out;
  ASSERT_NE(plain_status.find("\"revision\""), std::string::npos) << plain_status;
  for (const char* algorithm : {"gzip", "zstd"}) {
    SCOPED_TRACE(algorithm);
    const std::string file = dir_.Join(std::string("snap.db.") + algorithm);
    CommandResult saved = Etcdsnap({"--endpoints", source_->member(0).Endpoint(), "snapshot",
                                    "save", file, "--compress", algorithm});
    ASSERT_EQ(saved.exit_code, 0) << saved.Describe();
    EXPECT_EQ(saved.out, "Snapshot saved at " + file + "\n");
    EXPECT_LT(fs::file_size(file), fs::file_size(snapshot_) / 2);
    // Not a bbolt file on disk: only its content is.
    EXPECT_NE(ReadFileOrEmpty(file).substr(0, 8), std::string(8, '\0'));
    CommandResult status = Etcdsnap({"snapshot", "status", file, "-w", "json"});
    EXPECT_EQ(status.exit_code, 0) << status.Describe();
    EXPECT_EQ(status.out, plain_status);
    CommandResult verify = Etcdsnap({"snapshot", "verify", file});
    EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
    EXPECT_NE(verify.out.find(std::string(algorithm) + "-compressed"), std::string::npos)
        << verify.out;
  }
  snapshot_ = dir_.Join("snap.db.zstd");
  auto cluster = Boot(1);
  ExpectServesTheSnapshot(cluster->member(0).Endpoint());
  EXPECT_NE(restore_logs_.find("decompressed zstd snapshot"), std::string::npos) << restore_logs_;
}

TEST_F(RestoreBootTest, RawDbFromAStoppedMemberWithSkipHashCheck) {
  source_->member(0).Stop();
  ASSERT_FALSE(source_->member(0).running());
  snapshot_ = dir_.Join("raw.db");
  fs::copy_file(source_->member(0).DataDir() + "/member/snap/db", snapshot_);
  // Without the flag: etcdutl's refusal, nothing made.
  CommandResult refused = Etcdsnap({"snapshot", "restore", snapshot_, "--data-dir",
                                    dir_.Join("refused")});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("snapshot missing hash but --skip-hash-check=false"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.Join("refused")));
  EXPECT_FALSE(fs::exists(dir_.Join("refused.part")));

  auto cluster = Boot(1, {"--skip-hash-check"});
  ExpectServesTheSnapshot(cluster->member(0).Endpoint());
}

TEST_F(RestoreBootTest, WalDirElsewhere) {
  const std::string wal_root = dir_.Join("wal");
  fs::create_directories(wal_root);
  EtcdOptions o{.tls = false};
  auto wal_of = [wal_root](const EtcdServer& m) { return wal_root + "/" + m.name(); };
  o.prepare = [&](const EtcdServer& m, const std::string& cluster, const std::string& token) {
    fs::remove_all(wal_of(m));  // a retry with new ports starts again
    return RestoreFor(m, cluster, token, {"--wal-dir", wal_of(m)});
  };
  o.extra_args = [&](const EtcdServer& m) {
    return std::vector<std::string>{"--wal-dir", wal_of(m)};
  };
  EtcdCluster cluster(o, nullptr);
  ASSERT_TRUE(cluster.Start());
  EXPECT_FALSE(fs::exists(cluster.member(0).DataDir() + "/member/wal"));
  EXPECT_TRUE(fs::exists(wal_of(cluster.member(0)) + "/0000000000000000-0000000000000000.wal"));
  ExpectServesTheSnapshot(cluster.member(0).Endpoint());
}

// A restore interrupted in the middle of its copy: a sparse 8 GiB "snapshot" takes seconds to
// hash, and the signal goes as soon as the copy is seen on disk.
class RestoreInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    big_ = dir_.Join("big.db");
    std::ofstream{big_};
    // Whole pages plus 32 bytes: a "trailer" that the copy will never get to check.
    ASSERT_EQ(::truncate(big_.c_str(), (off_t{8} << 30) + 32), 0);
    data_ = dir_.Join("data");
  }

  // Starts the restore and waits until its copy has bytes on disk.
  std::unique_ptr<Subprocess> StartAndWaitForCopy() {
    SubprocessOptions o;
    o.stderr_path = dir_.Join("restore.err");
    auto p = std::make_unique<Subprocess>(
        std::vector<std::string>{EtcdsnapBinary(), "snapshot", "restore", big_, "--data-dir",
                                 data_},
        o);
    const std::string copy = data_ + ".part/member/snap/db";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !p->Poll()) {
      struct stat st {};
      if (::stat(copy.c_str(), &st) == 0 && st.st_size > 0) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling, not a guess
    }
    ADD_FAILURE() << "the copy never appeared; stderr: " << ReadFileOrEmpty(o.stderr_path);
    return nullptr;
  }

  TempDir dir_{"etcdsnap-restore-kill"};
  std::string big_;
  std::string data_;
};

TEST_F(RestoreInterruptTest, SigtermMidCopyLeavesNothing) {
  auto p = StartAndWaitForCopy();
  ASSERT_NE(p, nullptr);
  p->Signal(SIGTERM);
  ASSERT_TRUE(p->WaitFor(std::chrono::seconds(30)));
  EXPECT_EQ(p->term_signal(), SIGTERM);
  const std::string err = ReadFileOrEmpty(dir_.Join("restore.err"));
  EXPECT_NE(err.find("Error: interrupted by TERM; nothing was restored"), std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(data_));
  EXPECT_FALSE(fs::exists(data_ + ".part"));
}

TEST_F(RestoreInterruptTest, AfterSigkillTheLeftoverIsNamedAndRefused) {
  auto p = StartAndWaitForCopy();
  ASSERT_NE(p, nullptr);
  p->Signal(SIGKILL);
  ASSERT_TRUE(p->WaitFor(std::chrono::seconds(30)));
  // Nothing can clean up after SIGKILL, but the data dir itself was never made...
  EXPECT_FALSE(fs::exists(data_));
  ASSERT_TRUE(fs::exists(data_ + ".part"));
  // ...and the next restore says what is in the way.
  CommandResult again = Etcdsnap({"snapshot", "restore", std::string(ETCDSNAP_TEST_DATA_DIR) +
                                  "/s1.db", "--data-dir", data_});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find(data_ + ".part exists"), std::string::npos) << again.Describe();
  EXPECT_FALSE(fs::exists(data_));
}

// stderr on a pipe whose reader is gone (`... 2>&1 | grep -m1 restored` after grep matched): the
// first log line would raise SIGPIPE. Restore must neither die of it half-way nor leave its
// staging directory; it finishes (the log lines are lost).
TEST(RestorePipeTest, ClosedStderrPipeDoesNotKillTheRestoreHalfWay) {
  TempDir dir("etcdsnap-restore-pipe");
  const std::string data = dir.Join("data");
  const int status = RunWithClosedStderrPipe(
      {EtcdsnapBinary(), "snapshot", "restore",
       std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db", "--data-dir", data});
  ASSERT_NE(status, -1) << "did not end";
  EXPECT_TRUE(WIFEXITED(status)) << "ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  EXPECT_TRUE(fs::exists(data + "/member/snap/db"));
  EXPECT_FALSE(fs::exists(data + ".part"));
}

}  // namespace
}  // namespace etcdsnap::testing
