// `etcdsnap snapshot hashkv` against the real etcd 3.4.23 it was saved from: for several
// revisions (the latest, below it, right after a compaction, with deletions, transactions and a
// deletion exactly at the compact revision) the file's hash must equal what `etcdctl endpoint
// hashkv --rev R` prints for the live server. The server is 3.4.23, so these runs pass
// `--etcd-version 3.4.23` (its rules for R at the compact revision); where the newer rules give
// another answer, the test says which.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <map>
#include <random>
#include <memory>
#include <string>

#include "etcd_cluster.h"
#include "etcdsnap/snapshot/hashkv.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

constexpr const char* kServerVersion = "3.4.23";

class HashKvLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty(), "etcd not installed");
    ETCDSNAP_REQUIRE_OR_SKIP(!FindExecutable("etcdctl").empty(), "etcdctl not installed");
    cluster_ = std::make_unique<EtcdCluster>(EtcdOptions{.tls = false}, nullptr);
    ASSERT_TRUE(cluster_->Start());
    endpoint_ = cluster_->member(0).Endpoint();
  }

  CommandResult Ctl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    std::vector<std::string> argv = {FindExecutable("etcdctl"), "--endpoints", endpoint_};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    if (!stdin_data.empty()) o.stdin_data = stdin_data;
    return RunCommand(argv, o, std::chrono::seconds(60));
  }
  void MustCtl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    CommandResult r = Ctl(args, stdin_data);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  int64_t Revision() {
    int64_t rev = 0;
    EXPECT_TRUE(cluster_->Client().Revision(&rev).ok());
    return rev;
  }

  // `etcdctl endpoint hashkv --rev R -w json`: the live server's hash, or nullopt when it
  // refuses the revision.
  std::optional<uint32_t> LiveHash(int64_t rev, int64_t* compact = nullptr) {
    CommandResult r = Ctl({"endpoint", "hashkv", "--rev", std::to_string(rev), "-w", "json"});
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    if (j.is_discarded()) return std::nullopt;
    if (compact != nullptr) *compact = j[0]["HashKV"].value("compact_revision", int64_t{0});
    return j[0]["HashKV"]["hash"].get<uint32_t>();
  }

  // The file's hash by `etcdsnap snapshot hashkv` (-w json), or nullopt on an error (kept in
  // *err).
  std::optional<uint32_t> FileHash(const std::string& file, int64_t rev,
                                   std::vector<std::string> extra = {"--etcd-version", kServerVersion},
                                   std::string* err = nullptr, int64_t* compact = nullptr) {
    std::vector<std::string> argv = {EtcdsnapBinary(), "snapshot", "hashkv", file, "-w", "json"};
    if (rev != 0) argv.insert(argv.end(), {"--rev", std::to_string(rev)});
    argv.insert(argv.end(), extra.begin(), extra.end());
    CommandResult r = RunCommand(argv, {}, std::chrono::seconds(60));
    if (err != nullptr) *err = r.err;
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    if (j.is_discarded()) return std::nullopt;
    EXPECT_EQ(j["revision"].get<int64_t>(), rev == 0 ? j["revision"].get<int64_t>() : rev);
    if (compact != nullptr) *compact = j["compactRevision"].get<int64_t>();
    return j["hash"].get<uint32_t>();
  }

  std::string Save(const std::string& name) {
    const std::string path = tmp_.Join(name);
    CommandResult r = RunCommand({EtcdsnapBinary(), "--endpoints", endpoint_, "snapshot", "save",
                                  path},
                                 {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return path;
  }

  // Puts, deletes and a transaction (sub revisions).
  void Churn(const std::string& prefix) {
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(cluster_->Client().Put(prefix + std::to_string(i % 5), "v" + std::to_string(i)).ok());
    }
    ASSERT_TRUE(cluster_->Client().Delete(prefix + "1").ok());
    MustCtl({"txn"}, "\nput " + prefix + "t1 a\nput " + prefix + "t2 b\ndel " + prefix +
                         "3\n\n\n");
  }

  TempDir tmp_{"etcdsnap-hashkv-live"};
  std::unique_ptr<EtcdCluster> cluster_;
  std::string endpoint_;
};

TEST_F(HashKvLiveTest, MatchesTheServerAtEveryRevision) {
  Churn("a/");
  const std::string first = Save("first.db");
  const int64_t r1 = Revision();
  // Latest and every revision below it: the server has compacted nothing yet.
  for (int64_t rev = r1; rev >= 1; --rev) {
    const auto live = LiveHash(rev);
    ASSERT_TRUE(live.has_value()) << rev;
    EXPECT_EQ(FileHash(first, rev), live) << "revision " << rev;
    EXPECT_EQ(FileHash(first, rev, {}), live) << "revision " << rev << ", newest rules";
  }
  EXPECT_EQ(FileHash(first, 0), LiveHash(r1));

  // A deletion exactly at the compact revision, then the compaction, then more history.
  ASSERT_TRUE(cluster_->Client().Delete("a/4").ok());
  const int64_t c = Revision();
  const std::string before_compaction = Save("before-compaction.db");
  ASSERT_TRUE(cluster_->Client().Compact(c).ok());
  const std::string at_compaction = Save("at-compaction.db");
  Churn("b/");
  const std::string second = Save("second.db");
  const int64_t r2 = Revision();
  int64_t live_compact = 0;
  ASSERT_TRUE(LiveHash(r2, &live_compact).has_value());
  EXPECT_EQ(live_compact, c);
  for (int64_t rev = r2; rev > c; --rev) {
    const auto live = LiveHash(rev);
    ASSERT_TRUE(live.has_value()) << rev;
    int64_t file_compact = 0;
    EXPECT_EQ(FileHash(second, rev, {"--etcd-version", kServerVersion}, nullptr, &file_compact),
              live)
        << "revision " << rev;
    EXPECT_EQ(file_compact, c);
    // The older, uncompacted file reproduces a member compacted later: --compact-rev.
    if (rev <= r1) {
      EXPECT_EQ(FileHash(first, rev, {"--etcd-version", kServerVersion, "--compact-rev",
                                      std::to_string(c)}),
                live)
          << "revision " << rev << " from the file saved before the compaction";
    }
  }
  // Right after the compaction, R = C: 3.4.23 refuses it, and so does hashkv with its rules.
  EXPECT_FALSE(LiveHash(c).has_value());
  std::string err;
  EXPECT_FALSE(FileHash(second, c, {"--etcd-version", kServerVersion}, &err).has_value());
  EXPECT_NE(err.find("required revision has been compacted"), std::string::npos) << err;
  // The newest rules (3.4.27+) answer it; every file holding the history agrees.
  const auto newer = FileHash(second, c, {});
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(FileHash(at_compaction, c, {}), newer);
  EXPECT_EQ(FileHash(before_compaction, c, {"--compact-rev", std::to_string(c)}), newer);
  // The server's own answer at its current revision right after the compaction: the snapshot
  // taken then.
  EXPECT_FALSE(LiveHash(c - 1).has_value());
}

// Random histories (puts, deletes, transactions, compactions at random revisions) on the live
// server, a snapshot after each round: every revision the server still answers is compared
// in-process (snapshot::ComputeHashKv with 3.4.23's rules against Maintenance.HashKV), for the
// newest snapshot and, with --compact-rev, for the older ones (saved before later compactions).
TEST_F(HashKvLiveTest, RandomHistoriesMatchAtEveryRevision) {
  std::mt19937 rng(20261203);
  auto maintenance = etcdserverpb::Maintenance::NewStub(MakeTestChannel(endpoint_, nullptr));
  auto live = [&](int64_t rev) -> std::optional<etcdserverpb::HashKVResponse> {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    etcdserverpb::HashKVRequest req;
    req.set_revision(rev);
    etcdserverpb::HashKVResponse resp;
    if (!maintenance->HashKV(&ctx, req, &resp).ok()) return std::nullopt;
    return resp;
  };
  const etcd::HashKvRules rules = *etcd::HashKvRulesFor(kServerVersion);
  std::vector<std::pair<std::string, int64_t>> files;  // path, its revision
  int64_t compacted = 0;
  int comparisons = 0;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 30; ++i) {
      const std::string k = "r/" + std::to_string(rng() % 8);
      const unsigned op = rng() % 10;
      if (op < 6) {
        ASSERT_TRUE(cluster_->Client().Put(k, std::string(1 + rng() % 300, 'a' + rng() % 26)).ok());
      } else if (op < 9) {
        ASSERT_TRUE(cluster_->Client().Delete(k).ok());
      } else {
        MustCtl({"txn"}, "\nput " + k + " t\nput " + k + "x t\ndel r/" +
                             std::to_string(rng() % 8) + "y\n\n\n");
      }
    }
    const int64_t current = Revision();
    if (round > 0) {
      compacted = compacted + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(current - compacted));
      ASSERT_TRUE(cluster_->Client().Compact(compacted).ok());
    }
    files.emplace_back(Save("round" + std::to_string(round) + ".db"), current);
    for (const auto& [file, file_rev] : files) {
      const bool newest = file == files.back().first;
      for (int64_t rev = std::max<int64_t>(compacted + 1, 1); rev <= file_rev; ++rev) {
        const auto want = live(rev);
        ASSERT_TRUE(want.has_value()) << rev;
        snapshot::HashKvOptions o{.path = file, .revision = rev, .rules = rules};
        if (!newest) o.compact_revision = want->compact_revision();
        auto got = snapshot::ComputeHashKv(o);
        ASSERT_TRUE(got.ok()) << file << " at " << rev << ": " << got.status().message();
        // No key live and something compacted: the server hashes whatever its (asynchronous)
        // compaction has not removed yet; the documented exception.
        if (got->no_live_keys && want->compact_revision() >= 1) continue;
        EXPECT_EQ(got->hash, want->hash()) << file << " at " << rev << ", compacted at "
                                           << want->compact_revision();
        EXPECT_EQ(got->compact_revision, want->compact_revision());
        ++comparisons;
      }
    }
  }
  EXPECT_GE(comparisons, 200);
  std::printf("compared %d hashes with the live server\n", comparisons);
}

// No key live: the keep set is empty, and what is hashed at or below the compact revision is
// whatever the store still holds.
TEST_F(HashKvLiveTest, EveryKeyDeletedAndCompactedAtTheDeletion) {
  ASSERT_TRUE(cluster_->Client().Put("foo", "bar").ok());
  ASSERT_TRUE(cluster_->Client().Delete("foo").ok());
  const int64_t c = Revision();
  const std::string before = Save("before.db");
  EXPECT_EQ(FileHash(before, 0), LiveHash(c));
  ASSERT_TRUE(cluster_->Client().Compact(c).ok());
  const std::string after = Save("after.db");
  // 3.4.23 removed the deletion and the put: only the bucket name is hashed. etcdctl with no
  // --rev asks for the current revision, which is never refused.
  CommandResult live = Ctl({"endpoint", "hashkv", "-w", "json"});
  ASSERT_EQ(live.exit_code, 0) << live.Describe();
  const uint32_t live_hash = nlohmann::json::parse(live.out)[0]["HashKV"]["hash"].get<uint32_t>();
  EXPECT_EQ(live_hash, 0x40a4756du);
  EXPECT_EQ(FileHash(after, 0), live_hash);
  EXPECT_EQ(FileHash(after, 0, {}), live_hash);
}

TEST_F(HashKvLiveTest, SimpleAndTableOutput) {
  ASSERT_TRUE(cluster_->Client().Put("foo", "bar").ok());
  const std::string file = Save("s.db");
  const auto hash = LiveHash(Revision());
  ASSERT_TRUE(hash.has_value());
  CommandResult r = RunCommand({EtcdsnapBinary(), "snapshot", "hashkv", file}, {});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, file + ", " + std::to_string(*hash) + "\n");
  EXPECT_EQ(r.err, "");
  r = RunCommand({EtcdsnapBinary(), "snapshot", "hashkv", file, "-w", "table"}, {});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("| HASH REVISION | COMPACT REVISION |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::to_string(*hash)), std::string::npos) << r.out;
}

// The command line without a server: exit codes and messages (docs/hashkv.md).
TEST(HashKvCommandTest, ExitCodes) {
  const std::string s1 = std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db";
  auto run = [](std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {EtcdsnapBinary(), "snapshot", "hashkv"};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    o.env = std::move(env);
    return RunCommand(argv, o, std::chrono::seconds(60));
  };
  // s1.db: 5 puts and a delete on a fresh 3.4.23, never compacted.
  CommandResult r = run({s1, "-w", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "{\"path\":\"" + s1 + "\",\"hash\":129169495,\"revision\":6,"
                   "\"hashRevision\":6,\"compactRevision\":-1}\n");
  r = run({s1, "-w", "fields"});
  EXPECT_EQ(r.out, "\"Path\" : \"" + s1 + "\"\n\"Hash\" : 129169495\n\"HashRevision\" : 6\n"
                   "\"CompactRevision\" : -1\n");
  EXPECT_EQ(run({}).exit_code, 128);
  EXPECT_EQ(run({s1, s1}).exit_code, 128);
  EXPECT_EQ(run({s1, "--rev", "-1"}).exit_code, 128);
  EXPECT_EQ(run({s1, "--etcd-version", "3.2.0"}).exit_code, 128);
  EXPECT_EQ(run({s1, "--etcd-version", "three"}).exit_code, 128);
  EXPECT_EQ(run({s1, "-w", "protobuf"}).exit_code, 4);
  EXPECT_EQ(run({s1, "--rev", "x"}).exit_code, 1);
  r = run({s1, "--rev", "7"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("required revision is a future revision"), std::string::npos) << r.err;
  r = run({"/nonexistent/snap.db"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/snap.db"), std::string::npos) << r.err;
  EXPECT_EQ(run({s1, "--compact-rev", "9"}).exit_code, 1);  // above the latest revision
  EXPECT_EQ(run({s1, "--compact-rev", "3", "--endpoints", "127.0.0.1:1"}).exit_code, 128);
  // ETCDCTL_ENDPOINTS alone keeps it a file command.
  r = run({s1}, {{"ETCDCTL_ENDPOINTS", "127.0.0.1:1"}});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, s1 + ", 129169495\n");
  // Members named but none answers: exit 2.
  RefusedPort refused;
  r = run({s1, "--endpoints", refused.Endpoint()});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.out.find("unreachable"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace etcdsnap::testing
