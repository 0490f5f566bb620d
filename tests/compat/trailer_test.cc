// `snapshot verify` and the sha256 trailer, checked against what `etcdctl snapshot restore`
// accepts: a trailer cut short or with bytes appended is damage (restore refuses the file), a
// trailer stripped whole is "absent" (restore needs --skip-hash-check), and --require-trailer
// makes that a failure for backups.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "require.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace etcdsnap::testing {
namespace {

const std::string kS1 = std::string(ETCDSNAP_TEST_DATA_DIR) + "/s1.db";  // 6 pages + trailer

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TrailerTest : public ::testing::Test {
 protected:
  // s1.db changed by `edit`, written to a file of its own.
  std::string Variant(const std::string& name, const std::function<void(std::string&)>& edit) {
    std::string bytes = ReadAll(kS1);
    EXPECT_EQ(bytes.size(), 6u * 4096 + 32);
    edit(bytes);
    const std::string path = dir_.Join(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  CommandResult Verify(const std::string& file, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {EtcdsnapBinary(), "snapshot", "verify", file};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return RunCommand(argv, {}, std::chrono::seconds(30));
  }
  // etcdctl's restore of `file` into a fresh data dir: its exit code.
  int EtcdctlRestore(const std::string& file, const std::vector<std::string>& flags = {}) {
    std::vector<std::string> argv = {FindExecutable("etcdctl"), "snapshot", "restore", file,
                                     "--data-dir", dir_.Join("restore-" + std::to_string(n_++))};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return RunCommand(argv, {}, std::chrono::seconds(30)).exit_code;
  }
  bool HaveEtcdctl() const { return !FindExecutable("etcdctl").empty(); }

  TempDir dir_{"etcdsnap-trailer"};
  int n_ = 0;
};

TEST_F(TrailerTest, CutOrExtendedTrailerIsDamage) {
  const std::string cut = Variant("cut.db", [](std::string& b) { b.resize(b.size() - 16); });
  const std::string longer = Variant("longer.db", [](std::string& b) { b.push_back('x'); });
  for (const std::string& file : {cut, longer}) {
    SCOPED_TRACE(file);
    const CommandResult r = Verify(file);
    EXPECT_EQ(r.exit_code, 1) << r.Describe();
    EXPECT_NE(r.out.find("sha256 trailer: DAMAGED (size "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FAILED: 1 problems found"), std::string::npos) << r.out;
    const CommandResult j = Verify(file, {"-w", "json"});
    EXPECT_NE(j.out.find("\"state\":\"damaged\""), std::string::npos) << j.out;
  }
  ETCDSNAP_REQUIRE_OR_SKIP(HaveEtcdctl(), "etcdctl is needed to compare with its restore");
  EXPECT_NE(EtcdctlRestore(cut), 0);
  EXPECT_NE(EtcdctlRestore(longer), 0);
}

TEST_F(TrailerTest, StrippedTrailerIsAbsentAndFailsWhenRequired) {
  const std::string stripped =
      Variant("stripped.db", [](std::string& b) { b.resize(b.size() - 32); });
  CommandResult r = Verify(stripped);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("sha256 trailer: absent (the size is a multiple of the page size): "
                       "restore needs --skip-hash-check\n"),
            std::string::npos)
      << r.out;
  r = Verify(stripped, {"--require-trailer"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.out.find("sha256 trailer: ABSENT"), std::string::npos) << r.out;
  // A saved snapshot passes --require-trailer.
  EXPECT_EQ(Verify(kS1, {"--require-trailer"}).exit_code, 0);
  ETCDSNAP_REQUIRE_OR_SKIP(HaveEtcdctl(), "etcdctl is needed to compare with its restore");
  EXPECT_NE(EtcdctlRestore(stripped), 0);
  EXPECT_EQ(EtcdctlRestore(stripped, {"--skip-hash-check"}), 0);
  EXPECT_EQ(EtcdctlRestore(kS1), 0);
}

}  // namespace
}  // namespace etcdsnap::testing
