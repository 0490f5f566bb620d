// `etcdsnap snapshot status` against the expected values of tests/data/s1.db and, byte for
// byte in every output format, against `etcdctl snapshot status` on the same files: s1.db and
// snapshots taken from a real etcd at several stages (fresh; thousands of keys so that `key`
// has branch pages; values over 4 KiB for overflow pages; deletions; a compaction; leases;
// auth with users and roles). `snapshot verify` must pass on all of them.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "inspect_util.h"
#include "require.h"

namespace etcdsnap::inspect_test {
namespace {

const std::string kS1 = std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db";
const char* kFormats[] = {"simple", "table", "json", "fields"};

CommandResult Status(const std::string& file, const std::string& format) {
  return RunProgram({EtcdsnapBinary(), "snapshot", "status", file, "-w", format});
}

TEST(StatusS1Test, ExpectedValuesInEveryFormat) {
  const std::map<std::string, std::string> want = {
      {"simple", "461b96a9, 6, 9, 25 kB\n"},
      {"json", "{\"hash\":1176213161,\"revision\":6,\"totalKey\":9,\"totalSize\":24576}\n"},
      {"fields", "\"Hash\" : 1176213161\n\"Revision\" : 6\n\"Keys\" : 9\n\"Size\" : 24576\n"},
      {"table",
       "+----------+----------+------------+------------+\n"
       "|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |\n"
       "+----------+----------+------------+------------+\n"
       "| 461b96a9 |        6 |          9 |      25 kB |\n"
       "+----------+----------+------------+------------+\n"}};
  for (const auto& [format, out] : want) {
    CommandResult r = Status(kS1, format);
    EXPECT_EQ(r.exit_code, 0) << format << ": " << r.err;
    EXPECT_EQ(r.out, out) << format;
    EXPECT_EQ(r.err, "") << format;
  }
}

TEST(StatusS1Test, Etcd36Layout) {
  CommandResult r = RunProgram({EtcdsnapBinary(), "snapshot", "status", kS1, "--etcd-version", "3.6"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "461b96a9, 6, 2, 25 kB, \n");
  r = RunProgram({EtcdsnapBinary(), "snapshot", "status", kS1, "--etcd-version", "3.6", "-w", "json"});
  EXPECT_EQ(r.out,
            "{\"hash\":1176213161,\"revision\":6,\"totalKey\":2,\"totalSize\":24576,"
            "\"version\":\"\"}\n");
  r = RunProgram({EtcdsnapBinary(), "snapshot", "status", kS1, "--etcd-version", "3.7"});
  EXPECT_EQ(r.exit_code, 128);
}

TEST(StatusS1Test, UnsupportedFormatsExitFour) {
  CommandResult r = Status(kS1, "protobuf");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "Error: protobuf not supported as output format\n");
  EXPECT_EQ(r.out, "");
  r = Status(kS1, "bogus");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "Error: unsupported output format\n");
}

TEST(StatusS1Test, ArgumentErrors) {
  CommandResult r = RunProgram({EtcdsnapBinary(), "snapshot", "status"});
  EXPECT_EQ(r.exit_code, 128);
  EXPECT_EQ(r.err, "Error: snapshot status requires exactly one argument\n");
  r = RunProgram({EtcdsnapBinary(), "snapshot", "status", kS1, kS1});
  EXPECT_EQ(r.exit_code, 128);
  r = RunProgram({EtcdsnapBinary(), "snapshot", "status", "/nonexistent/nope.db"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error: stat /nonexistent/nope.db: no such file or directory\n");
}

// Compares every format with etcdctl's output on `file`.
void ExpectParity(const std::string& file) {
  const std::string etcdctl = FindExecutable("etcdctl");
  ETCDSNAP_REQUIRE_OR_SKIP(!etcdctl.empty(), "etcdctl not installed");
  for (const char* format : kFormats) {
    CommandResult ours = Status(file, format);
    CommandResult theirs = RunProgram({etcdctl, "snapshot", "status", file, "-w", format});
    ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
    EXPECT_EQ(ours.exit_code, 0) << format << ": " << ours.err;
    EXPECT_EQ(ours.out, theirs.out) << format << " on " << file;
  }
}

TEST(StatusParityTest, S1) { ExpectParity(kS1); }
TEST(StatusParityTest, DefaultRestoreDb) {
  ExpectParity(std::string(ETCDSNAP_TEST_DATA_DIR) + "/default-restore-db");
}
// A real etcd's file whose bucket `key` has branch pages: status walks it on two threads where
// two CPUs are available (ParallelStatusTest.EtcdFileWithBranchesIsTheSameOnTwoThreads proves
// the split), and must still print etcdctl's bytes.
TEST(StatusParityTest, EtcdBranchesWalkedOnTwoThreads) {
  ExpectParity(std::string(ETCDSNAP_TEST_DATA_DIR) + "/etcd-branches.db");
}

// Snapshots of a real etcd, taken once for the whole suite, at growing stages.
class RealEtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    etcd_ = new PlainEtcd();
    if (FindExecutable("etcdctl").empty()) {
      why_ = "etcdctl not installed";
      return;
    }
    if (!etcd_->Start(&why_)) return;
    Snap("fresh");

    std::string txn = "\n";  // no compares; then the success ops
    for (int i = 0; i < 3000; ++i) {
      txn += "put key-" + std::to_string(100000 + i) + " value-of-key-" + std::to_string(i) +
             "-padding-padding-padding\n";
    }
    WriteFileOrDie(dir_->Join("txn"), txn + "\n\n");
    CommandResult r = RunProgram({"sh", "-c",
                              FindExecutable("etcdctl") + " --endpoints " + etcd_->endpoint() +
                                  " txn < " + dir_->Join("txn")});
    if (r.exit_code != 0) {
      why_ = "txn failed: " + r.err;
      return;
    }
    Snap("many_keys");

    for (int i = 0; i < 4; ++i) {
      etcd_->MustCtl({"put", "big-" + std::to_string(i), std::string(5000 + 3000 * i, 'a' + i)});
    }
    Snap("big_values");

    etcd_->MustCtl({"del", "key-100007"});
    etcd_->MustCtl({"del", "--prefix", "key-1001"});
    etcd_->MustCtl({"put", "key-100007", "back again"});
    Snap("deleted");

    etcd_->MustCtl({"compact", std::to_string(etcd_->Revision() - 2)});
    Snap("compacted");

    const std::string grant = etcd_->MustCtl({"lease", "grant", "600"});
    const std::string id = grant.size() > 6 ? grant.substr(6, grant.find(' ', 6) - 6) : "0";
    etcd_->MustCtl({"put", "--lease=" + id, "leased", "value"});
    etcd_->MustCtl({"lease", "grant", "900"});
    Snap("leases");

    etcd_->MustCtl({"user", "add", "root:rootpw"});
    etcd_->MustCtl({"user", "add", "alice:alicepw"});
    etcd_->MustCtl({"role", "add", "reader"});
    etcd_->MustCtl({"role", "grant-permission", "reader", "read", "key-", "key."});
    etcd_->MustCtl({"user", "grant-role", "alice", "reader"});
    etcd_->MustCtl({"auth", "enable"});
    etcd_->set_user("root:rootpw");
    etcd_->MustCtl({"put", "after-auth", "1"});
    Snap("auth");
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete etcd_;
    delete dir_;
    etcd_ = nullptr;
    dir_ = nullptr;
  }

  static void Snap(const std::string& name) {
    const std::string path = dir_->Join(name + ".db");
    CommandResult r = etcd_->Ctl({"snapshot", "save", path});
    if (r.exit_code != 0) why_ = "snapshot save " + name + ": " + r.err;
  }

  void SetUp() override {
    ETCDSNAP_REQUIRE_OR_SKIP(ready_, "no real etcd: " << why_);
  }

  static std::string SnapPath(const std::string& name) { return dir_->Join(name + ".db"); }

  static void ParityAndVerify(const std::string& name) {
    ExpectParity(SnapPath(name));
    CommandResult v = RunProgram({EtcdsnapBinary(), "snapshot", "verify", SnapPath(name)});
    EXPECT_EQ(v.exit_code, 0) << name << ":\n" << v.out << v.err;
    EXPECT_NE(v.out.find("sha256 trailer: ok"), std::string::npos) << v.out;
  }

  static TempDir* dir_;
  static PlainEtcd* etcd_;
  static bool ready_;
  static std::string why_;
};

TempDir* RealEtcdTest::dir_ = nullptr;
PlainEtcd* RealEtcdTest::etcd_ = nullptr;
bool RealEtcdTest::ready_ = false;
std::string RealEtcdTest::why_;

// One test: ctest runs each test in its own process, and the stages build on each other.
TEST_F(RealEtcdTest, EveryStageMatchesEtcdctlAndVerifies) {
  for (const char* stage :
       {"fresh", "many_keys", "big_values", "deleted", "compacted", "leases", "auth"}) {
    SCOPED_TRACE(stage);
    ParityAndVerify(stage);
  }
  CommandResult v = RunProgram({EtcdsnapBinary(), "snapshot", "verify", SnapPath("many_keys"), "-w", "json"});
  EXPECT_NE(v.out.find("\"revisions\":3000"), std::string::npos) << v.out;

  // 3.6 layout: 3000 keys - 100 (key-1001xx) + 4 big + leased + after-auth; key-100007 was
  // deleted and put back.
  CommandResult r = RunProgram({EtcdsnapBinary(), "snapshot", "status", SnapPath("auth"), "--etcd-version",
                            "3.6", "-w", "fields"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"Keys\" : 2906\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"Version\" : \n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace etcdsnap::inspect_test
