// The restore use case on files (no server): what it writes, checked against what etcdctl 3.4.23
// wrote for the same snapshot and flags (tests/data), and every refusal, each leaving nothing
// behind. Booting real etcd on the result is tests/restore's job.
#include "etcdsnap/snapshot/restore.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bolt_dump.h"
#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/raft/wal.h"
#include "etcdsnap/snapshot/verify.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/sha256.h"
#include "temp_dir.h"

namespace etcdsnap::snapshot {
namespace {

namespace fs = std::filesystem;
using etcdsnap::testing::DumpBuckets;
using etcdsnap::testing::ReadFileOrEmpty;
using etcdsnap::testing::WriteFileOrDie;

std::string TestData(const std::string& name) {
  return std::string(ETCDSNAP_TEST_DATA_DIR) + "/" + name;
}

std::string BE64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return s;
}

std::string Rev(uint64_t main) { return BE64(main) + "_" + BE64(0); }

// Every path under `dir`, relative, sorted: what a test expects to find (or not) on disk.
std::vector<std::string> Tree(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

mode_t Mode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class RestoreTest : public etcdsnap::testing::TempDirTest {
 protected:
  void SetUp() override {
    etcdsnap::testing::TempDirTest::SetUp();
    log_ = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_));
    log_->set_pattern("%v");
    options_.snapshot_path = TestData("s1.db");
    options_.data_dir = (dir_ / "data").string();
  }

  Result<RestoreResult> Run(Canceller* canceller = nullptr) {
    return Restore(options_, canceller, *log_);
  }

  // A copy of s1.db in the test dir, changed by `edit`.
  std::string EditedSnapshot(const std::function<void(std::string&)>& edit) {
    std::string bytes = ReadFileOrEmpty(TestData("s1.db"));
    edit(bytes);
    const std::string path = (dir_ / "edited.db").string();
    WriteFileOrDie(path, bytes);
    return path;
  }

  // A refusal: the error's code and words, and nothing left in the test dir but what the test
  // put there itself.
  void ExpectRefused(Code code, const std::string& words,
                     const std::vector<std::string>& tree_before) {
    auto r = Run();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().message();
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
    EXPECT_EQ(Tree(dir_), tree_before);
  }

  std::ostringstream log_text_;
  std::shared_ptr<spdlog::logger> log_;
  RestoreOptions options_;
};

TEST_F(RestoreTest, DefaultRestoreWritesWhatEtcdutl35Writes) {
  options_.wal_layout = raft::WalLayout::kEtcd34;  // byte-comparable with etcdctl 3.4.23's WAL
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  const fs::path data = dir_ / "data";
  EXPECT_EQ(Tree(data), (std::vector<std::string>{
                            "member", "member/snap",
                            "member/snap/0000000000000001-0000000000000001.snap",
                            "member/snap/db", "member/wal",
                            "member/wal/0000000000000000-0000000000000000.wal"}));
  EXPECT_EQ(Mode(data), 0700u);
  EXPECT_EQ(Mode(data / "member"), 0700u);
  EXPECT_EQ(Mode(data / "member/snap"), 0700u);
  EXPECT_EQ(Mode(data / "member/wal"), 0700u);
  EXPECT_EQ(Mode(data / "member/snap/db"), 0600u);
  const fs::path wal = data / "member/wal/0000000000000000-0000000000000000.wal";
  EXPECT_EQ(Mode(wal), 0600u);
  EXPECT_EQ(fs::file_size(wal), raft::kWalSegmentSizeBytes);
  const std::string head = ReadFileOrEmpty(TestData("default-restore-wal-head.bin"));
  const std::string wal_bytes = ReadFileOrEmpty(wal.string());
  EXPECT_EQ(wal_bytes.substr(0, head.size()), head);
  EXPECT_EQ(wal_bytes.find_first_not_of('\0', head.size()), std::string::npos);
  EXPECT_EQ(ReadFileOrEmpty((data / "member/snap/0000000000000001-0000000000000001.snap").string()),
            ReadFileOrEmpty(TestData("default-restore.snap")));
  EXPECT_EQ(r->member_id, 0x8e9e05c52164694dull);
  EXPECT_EQ(r->cluster.id, 0xcdf818194e3a8c32ull);
  EXPECT_TRUE(r->hash_checked);
  EXPECT_EQ(r->latest_revision, 6);

  // The db: etcdctl 3.4.23's restore of the same file, but for what 3.5 fixed and added: the
  // members bucket holds the new member only (3.4 left the old one), meta/term is 1.
  const std::string db = (data / "member/snap/db").string();
  etcdsnap::testing::BoltModel ours = DumpBuckets(db);
  etcdsnap::testing::BoltModel theirs = DumpBuckets(TestData("default-restore-db"));
  EXPECT_EQ(ours.at("members"),
            (std::map<std::string, std::string>{
                {"8e9e05c52164694d",
                 R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default"})"}}));
  EXPECT_EQ(ours.at("meta").at("term"), BE64(1));
  EXPECT_EQ(ours.at("meta").at("consistent_index"), BE64(1));
  ours.erase("members");
  theirs.erase("members");
  ours.at("meta").erase("term");
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(DumpBuckets(db).at("key"), DumpBuckets(TestData("s1.db")).at("key"));
  auto report = Verify({.path = db});
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->ok());

  const std::string log = log_text_.str();
  for (const char* line :
       {"restoring snapshot path=", "added member cluster-id=cdf818194e3a8c32 local-member-id=0 "
                                    "added-peer-id=8e9e05c52164694d "
                                    "added-peer-peer-urls=[http://localhost:2380]",
        "restored snapshot path="}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
}

TEST_F(RestoreTest, ThreeMembersFromOneSnapshotShareTheClusterAndDifferInTheMember) {
  options_.initial_cluster =
      "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380";
  options_.initial_cluster_token = "tok";
  options_.wal_layout = raft::WalLayout::kEtcd34;
  struct Expect {
    const char* name;
    const char* url;
    uint64_t id;
  };
  for (const Expect& e : {Expect{"m1", "http://10.0.0.1:2380", 0x98521e8c6c48c6daull},
                          Expect{"m2", "http://10.0.0.2:2380", 0x61b046c1789d11d8ull},
                          Expect{"m3", "http://10.0.0.3:2380", 0x7aa181191753809eull}}) {
    options_.name = e.name;
    options_.initial_advertise_peer_urls = e.url;
    options_.data_dir = (dir_ / e.name).string();
    auto r = Run();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->member_id, e.id);
    EXPECT_EQ(r->cluster.id, 0x8e67f3b977698ab3ull);
    const fs::path member = dir_ / e.name / "member";
    EXPECT_EQ(ReadFileOrEmpty((member / "snap/0000000000000001-0000000000000003.snap").string()),
              ReadFileOrEmpty(TestData("m2-restore.snap")));
    auto db = DumpBuckets((member / "snap/db").string());
    EXPECT_EQ(db.at("members").size(), 3u);
    EXPECT_EQ(db.at("meta").at("consistent_index"), BE64(3));
    if (std::string(e.name) == "m2") {
      const std::string head = ReadFileOrEmpty(TestData("m2-restore-wal-head.bin"));
      EXPECT_EQ(ReadFileOrEmpty((member / "wal/0000000000000000-0000000000000000.wal").string())
                    .substr(0, head.size()),
                head);
    }
  }
}

TEST_F(RestoreTest, BumpRevisionMarksTheBumpedRevisionCompacted) {
  options_.bump_revision = 1000;
  options_.mark_compacted = true;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->latest_revision, 6);
  EXPECT_EQ(r->bumped_revision, 1006);
  auto db = DumpBuckets((dir_ / "data/member/snap/db").string());
  ASSERT_EQ(db.at("key").count(Rev(1006)), 1u);
  EXPECT_EQ(db.at("key").at(Rev(1006)), "");
  EXPECT_EQ(db.at("key").rbegin()->first, Rev(1006));
  EXPECT_EQ(db.at("meta").at("scheduledCompactRev"), Rev(1006));
  const std::string log = log_text_.str();
  EXPECT_NE(log.find("bumping latest revision latest-revision=6 bump-amount=1000 "
                     "new-latest-revision=1006"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("marking revision compacted revision=1006"), std::string::npos) << log;
  auto report = Verify({.path = (dir_ / "data/member/snap/db").string()});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->schema.problems.empty() ? "" : report->schema.problems[0]);
  EXPECT_EQ(report->schema.latest_revision, 1006);
}

// A compressed snapshot (zstd or gzip, told by its magic) is decompressed into the copy; the
// sha256 trailer inside it is checked as for a plain one, and a damaged stream leaves nothing.
TEST_F(RestoreTest, CompressedSnapshotsAreReadAsTheyAre) {
  auto compress = [&](Compression algorithm, const std::string& bytes, const std::string& name) {
    std::string out;
    auto c = Compressor::Create({algorithm}, [&](std::span<const uint8_t> b) {
      out.append(reinterpret_cast<const char*>(b.data()), b.size());
      return Status::Ok();
    });
    EXPECT_TRUE(c.ok());
    EXPECT_TRUE((*c)->Write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).ok());
    EXPECT_TRUE((*c)->Finish().ok());
    const std::string path = (dir_ / name).string();
    WriteFileOrDie(path, out);
    return path;
  };
  const std::string s1 = ReadFileOrEmpty(TestData("s1.db"));
  auto plain = DumpBuckets(TestData("s1.db"));
  for (Compression algorithm : {Compression::kZstd, Compression::kGzip}) {
    SCOPED_TRACE(CompressionName(algorithm));
    options_.snapshot_path = compress(algorithm, s1, "s1.z");
    options_.data_dir = (dir_ / (std::string("data-") + CompressionName(algorithm))).string();
    auto r = Run();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r->hash_checked);
    EXPECT_EQ(r->db_bytes, s1.size() - 32);
    EXPECT_EQ(DumpBuckets(options_.data_dir + "/member/snap/db").at("key"), plain.at("key"));

    // The trailer inside does not match: etcdutl's words, nothing left.
    std::string bad = s1;
    bad[5000] ^= 1;
    options_.snapshot_path = compress(algorithm, bad, "bad.z");
    options_.data_dir = (dir_ / "data-bad").string();
    ExpectRefused(Code::kCorruption, "expected sha256 [", Tree(dir_));
    // No trailer inside (a member's db, compressed): needs --skip-hash-check.
    options_.snapshot_path = compress(algorithm, s1.substr(0, s1.size() - 32), "raw.z");
    ExpectRefused(Code::kCorruption, "snapshot missing hash", Tree(dir_));
    // The stream cut short.
    const std::string whole = ReadFileOrEmpty(compress(algorithm, s1, "cut.z"));
    WriteFileOrDie((dir_ / "cut.z").string(), whole.substr(0, whole.size() / 2));
    options_.snapshot_path = (dir_ / "cut.z").string();
    ExpectRefused(Code::kCorruption, "cut short", Tree(dir_));
  }
}

TEST_F(RestoreTest, KubernetesKeysAreCounted) {
  options_.snapshot_path = TestData("etcd-branches.db");
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kubernetes_keys, 150u);
  EXPECT_EQ(r->latest_revision, 155);
  // Branch pages and overflow values come through the copy untouched.
  EXPECT_EQ(DumpBuckets((dir_ / "data/member/snap/db").string()).at("key"),
            DumpBuckets(TestData("etcd-branches.db")).at("key"));
}

TEST_F(RestoreTest, ExistingEmptyDataDirGetsMemberInside) {
  // A mount point: it cannot be renamed, only filled. lost+found does not count.
  fs::create_directories(dir_ / "data" / "lost+found");
  ::chmod((dir_ / "data").c_str(), 0750);
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Tree(dir_ / "data").size(), 7u);  // lost+found and the six of a restore
  EXPECT_TRUE(fs::exists(dir_ / "data/member/snap/db"));
  EXPECT_FALSE(fs::exists(dir_ / "data/member.part"));
  EXPECT_EQ(Mode(dir_ / "data"), 0750u);  // the mount point's own mode is the admin's
  EXPECT_EQ(Mode(dir_ / "data/member"), 0700u);
}

TEST_F(RestoreTest, RepeatedNameIsOneMemberWithSeveralUrlsAndAWarning) {
  // etcd's types.NewURLsMap: a repeated name collects URLs (a multi-homed member).
  options_.initial_cluster = "default=http://localhost:2380,default=http://10.0.0.1:2380";
  options_.initial_advertise_peer_urls = "http://10.0.0.1:2380,http://localhost:2380";
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->cluster.members.size(), 1u);
  EXPECT_EQ(r->cluster.members[0].peer_urls,
            (std::vector<std::string>{"http://10.0.0.1:2380", "http://localhost:2380"}));
  EXPECT_NE(log_text_.str().find("member default has 2 peer URLs"), std::string::npos)
      << log_text_.str();
}

TEST_F(RestoreTest, MissingParentsAreCreated) {
  options_.data_dir = (dir_ / "a/b/data").string();
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::exists(dir_ / "a/b/data/member/snap/db"));
  EXPECT_EQ(Mode(dir_ / "a"), 0700u);
}

TEST_F(RestoreTest, DefaultDataDirIsNameDotEtcd) {
  options_.data_dir.clear();
  options_.name = "default";
  EXPECT_EQ(DataDirFor(options_), "default.etcd");
  options_.data_dir = "/var/lib/etcd/";
  EXPECT_EQ(DataDirFor(options_), "/var/lib/etcd");
}

TEST_F(RestoreTest, WalDirElsewhereNewOrEmpty) {
  options_.wal_dir = (dir_ / "wal").string();
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Tree(dir_ / "wal"), std::vector<std::string>{"0000000000000000-0000000000000000.wal"});
  EXPECT_EQ(Mode(dir_ / "wal"), 0700u);
  EXPECT_FALSE(fs::exists(dir_ / "data/member/wal"));
  EXPECT_FALSE(fs::exists(dir_ / "wal.part"));

  // An existing empty one (its own volume): the segment goes in, nothing else.
  fs::create_directories(dir_ / "wal2" / "lost+found");
  options_.wal_dir = (dir_ / "wal2").string();
  options_.data_dir = (dir_ / "data2").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Tree(dir_ / "wal2"),
            (std::vector<std::string>{"0000000000000000-0000000000000000.wal", "lost+found"}));
}

TEST_F(RestoreTest, WalDirInsideTheDataDirMovesWithIt) {
  // The data dir is staged whole: the WAL dir inside it is built there too.
  options_.wal_dir = (dir_ / "data/wal").string();
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Tree(dir_ / "data/wal"),
            std::vector<std::string>{"0000000000000000-0000000000000000.wal"});
  EXPECT_EQ(Mode(dir_ / "data/wal"), 0700u);
  // The default place, given explicitly.
  options_.data_dir = (dir_ / "data2").string();
  options_.wal_dir = (dir_ / "data2/member/wal").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::exists(dir_ / "data2/member/wal/0000000000000000-0000000000000000.wal"));
  // An existing empty data dir: member/ is staged, so member/wal moves with it and a WAL dir
  // beside member/ is staged on its own.
  fs::create_directories(dir_ / "data3");
  options_.data_dir = (dir_ / "data3").string();
  options_.wal_dir = (dir_ / "data3/member/wal").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::exists(dir_ / "data3/member/wal/0000000000000000-0000000000000000.wal"));
  fs::create_directories(dir_ / "data4");
  options_.data_dir = (dir_ / "data4").string();
  options_.wal_dir = (dir_ / "data4/wal").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Tree(dir_ / "data4"),
            (std::vector<std::string>{"member", "member/snap",
                                      "member/snap/0000000000000001-0000000000000001.snap",
                                      "member/snap/db", "wal",
                                      "wal/0000000000000000-0000000000000000.wal"}));
}

// --- refusals: each leaves the test dir exactly as it was ---

TEST_F(RestoreTest, WrongSha256IsRefusedWithEtcdutlsWords) {
  options_.snapshot_path = EditedSnapshot([](std::string& b) { b[5000] ^= 1; });
  const auto before = Tree(dir_);
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  // Go's %v of a []byte: "expected sha256 [204 238 ...], got [...]".
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("expected sha256 [", 0), 0u) << m;
  EXPECT_NE(m.find("], got ["), std::string::npos) << m;
  EXPECT_EQ(Tree(dir_), before);
}

TEST_F(RestoreTest, MissingSha256NeedsSkipHashCheck) {
  options_.snapshot_path = EditedSnapshot([](std::string& b) { b.resize(b.size() - 32); });
  ExpectRefused(Code::kCorruption, "snapshot missing hash but --skip-hash-check=false", Tree(dir_));
  // A member's db copied from a data dir (no trailer) with --skip-hash-check: restored.
  options_.skip_hash_check = true;
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->hash_checked);
}

TEST_F(RestoreTest, TruncatedOrDamagedSnapshotsAreRefused) {
  // Cut mid-way: neither whole pages nor pages plus the trailer.
  options_.snapshot_path = EditedSnapshot([](std::string& b) { b.resize(b.size() - 100); });
  ExpectRefused(Code::kCorruption, "snapshot missing hash", Tree(dir_));
  options_.skip_hash_check = true;
  ExpectRefused(Code::kCorruption,
                "edited.db is not a usable etcd snapshot: file is truncated: 24508 bytes",
                Tree(dir_));
  // A page flag changed with the trailer recomputed, so that only the structure check can see
  // it: page 2's flags become leaf|branch.
  options_.skip_hash_check = false;
  options_.snapshot_path = EditedSnapshot([](std::string& b) {
    b[2 * 4096 + 8] = 0x03;
    Sha256 sha;
    sha.Update(b.data(), b.size() - 32);
    auto d = sha.Finish();
    ASSERT_TRUE(d.ok());
    std::copy(d->begin(), d->end(), b.end() - 32);
  });
  ExpectRefused(Code::kCorruption, "is damaged", Tree(dir_));
  // Not bbolt at all.
  options_.snapshot_path = (dir_ / "garbage.db").string();
  WriteFileOrDie(options_.snapshot_path, std::string(8192, 'x'));
  options_.skip_hash_check = true;
  ExpectRefused(Code::kCorruption, "is not a usable etcd snapshot", Tree(dir_));
}

TEST_F(RestoreTest, SnapshotThatIsNotARegularFileIsRefusedAtOnce) {
  const std::string fifo = (dir_ / "fifo.db").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  options_.snapshot_path = fifo;
  ExpectRefused(Code::kInvalidArgument, "is not a regular file", Tree(dir_));
  options_.snapshot_path = dir_.string();
  ExpectRefused(Code::kInvalidArgument, "is a directory", Tree(dir_));
  options_.snapshot_path = (dir_ / "missing.db").string();
  ExpectRefused(Code::kNotFound, "missing.db", Tree(dir_));
}

TEST_F(RestoreTest, NonEmptyDataDirIsRefusedAndUntouched) {
  fs::create_directories(dir_ / "data" / "member");
  WriteFileOrDie((dir_ / "data/member/keep").string(), "old");
  ExpectRefused(Code::kInvalidArgument, "not empty or could not be read", Tree(dir_));
  EXPECT_EQ(ReadFileOrEmpty((dir_ / "data/member/keep").string()), "old");
  // A file where the data dir should be.
  options_.data_dir = (dir_ / "data/member/keep").string();
  ExpectRefused(Code::kInvalidArgument, "is not a directory", Tree(dir_));
}

TEST_F(RestoreTest, NonEmptyWalDirIsRefusedBeforeAnythingIsWritten) {
  fs::create_directories(dir_ / "wal");
  WriteFileOrDie((dir_ / "wal/old.wal").string(), "old");
  options_.wal_dir = (dir_ / "wal").string();
  ExpectRefused(Code::kInvalidArgument, "wal-dir", Tree(dir_));
}

TEST_F(RestoreTest, LeftoverStagingDirIsRefusedAndKept) {
  fs::create_directories(dir_ / "data.part" / "member");
  ExpectRefused(Code::kInvalidArgument, "data.part exists", Tree(dir_));
}

TEST_F(RestoreTest, BadFlagsAreRefusedBeforeAnyFileIsTouched) {
  struct Case {
    std::function<void(RestoreOptions&)> set;
    const char* words;
  };
  const Case cases[] = {
      {[](RestoreOptions& o) { o.name = "other"; },
       "couldn't find local name \"other\" in the initial cluster configuration"},
      {[](RestoreOptions& o) { o.initial_advertise_peer_urls = "http://127.0.0.1:2380"; },
       "--initial-cluster has default=http://localhost:2380 but missing from "
       "--initial-advertise-peer-urls=http://127.0.0.1:2380"},
      {[](RestoreOptions& o) {
         o.initial_cluster = "default=http://localhost:2380/path";
         o.initial_advertise_peer_urls = "http://localhost:2380/path";
       },
       "URL must not contain a path"},
      {[](RestoreOptions& o) { o.initial_advertise_peer_urls = "localhost:2380"; },
       "--initial-advertise-peer-urls"},
      {[](RestoreOptions& o) { o.initial_cluster = "default"; }, "--initial-cluster"},
      {[](RestoreOptions& o) {
         o.initial_cluster = "default=http://localhost:2380,other=http://localhost:2380";
       },
       "has duplicate url"},
      {[](RestoreOptions& o) { o.bump_revision = 5; },
       "--mark-compacted required if --revision-bump > 0"},
      {[](RestoreOptions& o) { o.mark_compacted = true; },
       "--mark-compacted required if --revision-bump > 0"},
  };
  const auto before = Tree(dir_);
  for (const Case& c : cases) {
    RestoreOptions saved = options_;
    c.set(options_);
    EXPECT_FALSE(CheckRestoreOptions(options_).ok()) << c.words;
    ExpectRefused(Code::kInvalidArgument, c.words, before);
    options_ = saved;
  }
}

TEST_F(RestoreTest, CancelledMidCopyLeavesNothing) {
  // A sparse 8 MiB "snapshot" (eight chunks of the copy) with room for a trailer: the copy
  // stops at the chunk after the cancel, long before the end.
  const std::string big = (dir_ / "big.db").string();
  WriteFileOrDie(big, "");
  ASSERT_EQ(::truncate(big.c_str(), (8 << 20) + 32), 0);
  options_.snapshot_path = big;
  Canceller canceller;
  int calls = 0;
  options_.on_progress = [&](uint64_t, uint64_t) {
    ++calls;
    canceller.Cancel("interrupted by SIGTERM");
  };
  // The missing parents it created go too.
  options_.data_dir = (dir_ / "a/b/data").string();
  const auto before = Tree(dir_);
  auto r = Run(&canceller);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  EXPECT_EQ(calls, 1);  // one chunk copied, then the loop saw the cancel
  EXPECT_EQ(Tree(dir_), before);
}

TEST_F(RestoreTest, WalDirIsTakenBackWhenTheDataDirCannotBeMovedIntoPlace) {
  // Someone creates the data dir while the restore runs: its rename is refused (never
  // replaces), and the WAL dir, already moved into place, is removed again.
  options_.wal_dir = (dir_ / "wal").string();
  options_.on_progress = [&](uint64_t, uint64_t) { fs::create_directories(dir_ / "data"); };
  auto r = Run();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("was created by another process"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Tree(dir_), std::vector<std::string>{"data"});
}

TEST_F(RestoreTest, WalDirThatWouldHoldTheDataDirIsRefused) {
  for (const fs::path& wal : {dir_ / "data", dir_, dir_ / "data/member", dir_ / "data/member/snap",
                              dir_ / "data/member/snap/x"}) {
    options_.wal_dir = wal.string();
    ExpectRefused(Code::kInvalidArgument, "would hold the data dir or share a directory",
                  Tree(dir_));
  }
}

TEST_F(RestoreTest, LeftoverMemberPartIsNamed) {
  fs::create_directories(dir_ / "data" / "member.part");
  ExpectRefused(Code::kInvalidArgument, "holds member.part, left by an interrupted restore",
                Tree(dir_));
}

TEST_F(RestoreTest, PathSpellingsAndSymlinks) {
  // "n1/." is n1: its staging dir is n1.part, not "n1/..part".
  options_.data_dir = (dir_ / "n1/.").string() + "/";
  auto r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->data_dir, (dir_ / "n1").string());
  EXPECT_TRUE(fs::exists(dir_ / "n1/member/snap/db"));
  // A data dir that is a symlink to an empty directory (a volume mounted elsewhere).
  fs::create_directories(dir_ / "volume");
  fs::create_directory_symlink(dir_ / "volume", dir_ / "linked");
  options_.data_dir = (dir_ / "linked").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::is_symlink(dir_ / "linked"));
  EXPECT_TRUE(fs::exists(dir_ / "volume/member/snap/db"));
  // A WAL dir inside the data dir, spelled through the symlink: built in the staging tree.
  fs::create_directories(dir_ / "volume2");
  fs::create_directory_symlink(dir_ / "volume2", dir_ / "linked2");
  options_.data_dir = (dir_ / "volume2").string();
  options_.wal_dir = (dir_ / "linked2/member/wal").string();
  r = Run();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::exists(dir_ / "volume2/member/wal/0000000000000000-0000000000000000.wal"));
}

TEST(GoByteListTest, FormatsAsGosPercentV) {
  const uint8_t b[] = {204, 0, 7};
  EXPECT_EQ(GoByteList(b, 3), "[204 0 7]");
  EXPECT_EQ(GoByteList(b, 0), "[]");
}

}  // namespace
}  // namespace etcdsnap::snapshot
