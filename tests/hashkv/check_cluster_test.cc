// `snapshot save --check-cluster` and `snapshot hashkv <file> --cluster` against a real 3-member
// etcd 3.4.23 cluster (mutual TLS on the client URLs, so the member list's https URLs are dialed
// with the same credentials): every member matches; then one member's data is made to differ
// and the mismatch is reported (exit 65, the file kept); then, once the cluster has compacted
// past the snapshot, members cannot be compared, which is no failure.
//
// How one member is made to differ: it is stopped, one stored revision in its own bbolt file
// (member/snap/db) gets another value through our UpdateTx (a copy-on-write transaction, as bbolt
// writes it), and it is started again on that data dir. Its store then serves a history that
// differs from the others' at that revision: what silent corruption of one member looks like,
// and what etcd's own corruption check (off by default in 3.4) compares. Cheaper and more direct
// than restoring the member from an older snapshot into the running cluster.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <memory>
#include <string>

#include "etcd_cluster.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/update_tx.h"
#include "etcdsnap/etcd/key_bucket.h"
#include "etcdsnap/etcd/key_value.h"
#include "pki.h"
#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

class CheckClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(!EtcdBinary().empty(), "etcd not installed");
    cluster_ = std::make_unique<EtcdCluster>(EtcdOptions{.members = 3, .tls = true}, &pki_);
    ASSERT_TRUE(cluster_->Start());
  }

  std::vector<std::string> Tls() const {
    return {"--cacert", pki_.ca.cert, "--cert", pki_.client.cert, "--key", pki_.client.key};
  }

  CommandResult Etcdsnap(std::vector<std::string> args) {
    std::vector<std::string> argv = {EtcdsnapBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::vector<std::string> tls = Tls();
    argv.insert(argv.end(), tls.begin(), tls.end());
    return RunCommand(argv, {}, std::chrono::seconds(120));
  }

  // Changes the value of the latest stored revision of `key` (which every hash at or above it
  // counts) in member i's db (stopped first, started again after).
  void CorruptMember(int i, const std::string& key) {
    EtcdServer& m = cluster_->member(i);
    m.Stop();
    const std::string db = m.DataDir() + "/member/snap/db";
    std::string rev_key, value;
    {
      auto file = bolt::File::Open(db);
      ASSERT_TRUE(file.ok()) << file.status().message();
      Status s = etcd::ForEachKeyEntry(**file, [&](const etcd::KeyEntry& e, bool*) {
        auto kv = etcd::DecodeKeyValue(e.value);
        if (kv.ok() && kv->key == key && !e.revision.tombstone) {
          rev_key.assign(bolt::View(e.key));
          value.assign(bolt::View(e.value));
        }
        return Status::Ok();
      });
      ASSERT_TRUE(s.ok()) << s.message();
    }
    ASSERT_FALSE(rev_key.empty()) << key << " not found in " << db;
    value.back() ^= 0x01;  // the last byte of the value (the KeyValue ends with it here)
    {
      // Closed (and its flock released) before etcd opens the file again.
      auto tx = bolt::UpdateTx::Open(db);
      ASSERT_TRUE(tx.ok()) << tx.status().message();
      ASSERT_TRUE((*tx)->Put("key", rev_key, value).ok());
      ASSERT_TRUE((*tx)->Commit().ok());
    }
    ASSERT_TRUE(cluster_->RestartMember(i));
  }

  // A linearizable read on every running member returns only once that member has applied
  // everything committed before it: after it, each one answers HashKV at the latest revision
  // (not "future revision") and knows of the latest compaction.
  void SyncMembers() {
    for (int i = 0; i < cluster_->size(); ++i) {
      if (!cluster_->member(i).running()) continue;
      int64_t rev = 0;
      ASSERT_TRUE(cluster_->Client(i).Revision(&rev).ok()) << cluster_->member(i).name();
    }
  }

  static nlohmann::json Json(const CommandResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.Describe();
    return j;
  }

  Pki pki_;
  TempDir tmp_{"etcdsnap-check-cluster"};
  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(CheckClusterTest, MatchThenOneMemberDiffersThenCompactedPast) {
  EtcdTestClient client = cluster_->Client(0);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(client.Put("/registry/pods/ns/p" + std::to_string(i % 10), "spec-" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(client.Delete("/registry/pods/ns/p3").ok());
  ASSERT_TRUE(client.Compact(20).ok());
  ASSERT_TRUE(client.Put("/registry/pods/ns/p11", "late").ok());
  SyncMembers();

  // 1. Every member matches; the save names all three (the endpoint given is one member only).
  const std::string file = tmp_.Join("snap.db");
  CommandResult r = Etcdsnap({"--endpoints", cluster_->member(1).ClientUrl(), "snapshot", "save",
                              file, "--check-cluster"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out.find("Snapshot saved at " + file + "\n"), 0u) << r.out;
  size_t matches = 0;
  for (size_t at = 0; (at = r.out.find(", match\n", at)) != std::string::npos; ++at) ++matches;
  EXPECT_EQ(matches, 3u) << r.out;

  // The same with hashkv on the saved file, -w json; every member at compact revision 20.
  r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "snapshot", "hashkv", file,
                "--cluster", "-w", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = Json(r);
  EXPECT_EQ(j["compactRevision"], 20);
  ASSERT_EQ(j["members"].size(), 3u) << r.out;
  for (const auto& m : j["members"]) {
    EXPECT_EQ(m["result"], "match") << m.dump();
    EXPECT_EQ(m["compactRevision"], 20);
    EXPECT_EQ(m["hash"], m["fileHash"]);
    EXPECT_EQ(m["version"], "3.4.23");
  }
  // Without --cluster only the endpoints given are asked.
  r = Etcdsnap({"--endpoints", cluster_->member(2).ClientUrl(), "snapshot", "hashkv", file,
                "-w", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Json(r)["members"].size(), 1u);

  // 2. Member m2's data made to differ: reported, exit 65, the new file kept.
  CorruptMember(2, "/registry/pods/ns/p5");
  const std::string second = tmp_.Join("second.db");
  r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "snapshot", "save", second,
                "--check-cluster", "-w", "table"});
  EXPECT_EQ(r.exit_code, 65) << r.Describe();
  EXPECT_TRUE(PathExists(second));
  EXPECT_NE(r.out.find("MISMATCH"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(cluster_->member(2).ClientUrl()), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Error: the HashKV of " + cluster_->member(2).ClientUrl()),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the snapshot is kept"), std::string::npos) << r.err;
  r = Etcdsnap({"--endpoints", cluster_->Endpoints(), "snapshot", "hashkv", file, "-w", "json"});
  EXPECT_EQ(r.exit_code, 65) << r.Describe();
  j = Json(r);
  ASSERT_EQ(j["members"].size(), 3u);
  EXPECT_EQ(j["members"][0]["result"], "match");
  EXPECT_EQ(j["members"][1]["result"], "match");
  EXPECT_EQ(j["members"][2]["result"], "mismatch");

  // 3. The cluster compacts past the file's revision: nobody can be compared, no failure.
  int64_t rev = 0;
  ASSERT_TRUE(client.Put("/registry/pods/ns/p12", "x").ok());
  ASSERT_TRUE(client.Revision(&rev).ok());
  ASSERT_TRUE(client.Compact(rev).ok());
  SyncMembers();
  r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "snapshot", "hashkv", file,
                "--cluster", "-w", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  j = Json(r);
  ASSERT_EQ(j["members"].size(), 3u);
  for (const auto& m : j["members"]) {
    EXPECT_EQ(m["result"], "cannot-compare") << m.dump();
    EXPECT_NE(m.value("reason", "").find("compacted past revision"), std::string::npos) << m.dump();
  }
  EXPECT_NE(r.err.find("cannot be compared"), std::string::npos) << r.err;
}

TEST_F(CheckClusterTest, UnreachableMemberIsReportedNotFatal) {
  ASSERT_TRUE(cluster_->Client(0).Put("k", "v").ok());
  SyncMembers();
  const std::string file = tmp_.Join("snap.db");
  CommandResult r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "snapshot", "save",
                              file});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  cluster_->member(1).Kill();
  r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "--dial-timeout", "1s",
                "snapshot", "hashkv", file, "--cluster", "-w", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  nlohmann::json j = Json(r);
  ASSERT_EQ(j["members"].size(), 3u);
  // The member list comes in member ID order: find each member by its URL.
  for (const auto& m : j["members"]) {
    const bool killed = m["endpoint"] == cluster_->member(1).ClientUrl();
    EXPECT_EQ(m["result"], killed ? "unreachable" : "match") << m.dump();
  }
  // save --check-cluster -w json: the report in the summary, the unreachable member a warning.
  const std::string second = tmp_.Join("second.db");
  r = Etcdsnap({"--endpoints", cluster_->member(2).ClientUrl(), "--dial-timeout", "1s",
                "snapshot", "save", second, "--check-cluster", "-w", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  j = Json(r);
  EXPECT_EQ(j["path"], second);
  ASSERT_TRUE(j.contains("clusterCheck")) << r.out;
  EXPECT_EQ(j["clusterCheck"]["revision"], j["revision"]);
  ASSERT_EQ(j["clusterCheck"]["members"].size(), 3u);
  size_t unreachable = 0;
  for (const auto& m : j["clusterCheck"]["members"]) unreachable += m["result"] == "unreachable";
  EXPECT_EQ(unreachable, 1u) << r.out;
  EXPECT_NE(r.err.find("not asked"), std::string::npos) << r.err;
  // `save -` has no file to hash.
  r = Etcdsnap({"--endpoints", cluster_->member(0).ClientUrl(), "snapshot", "save", "-",
                "--check-cluster"});
  EXPECT_EQ(r.exit_code, 128) << r.Describe();
}

}  // namespace
}  // namespace etcdsnap::testing
