#include "etcdsnap/snapshot/manifest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace etcdsnap::snapshot {
namespace {

namespace fs = std::filesystem;
using ManifestTest = testing::TempDirTest;

Manifest Sample() {
  Manifest m;
  m.file = "etcd.db";
  m.size = 5;
  // sha256 of "hello"
  m.sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  m.snapshot_size = 5;
  m.snapshot_sha256 = std::string(64, 'a');
  m.revision = 42;
  m.cluster_id = 0xcdf818194e3a8c32;
  m.member_id = 0x8e9e05c52164694d;
  m.endpoint = "https://127.0.0.1:2379";
  m.server_version = "3.4.23";
  m.raft_term = 2;
  m.raft_index = 77;
  m.db_size = 20480;
  m.db_size_in_use = 16384;
  m.tool = "etcdsnap 0.1.0";
  m.started = std::chrono::system_clock::from_time_t(1772845323) + std::chrono::milliseconds(456);
  m.finished = m.started + std::chrono::milliseconds(1500);
  return m;
}

TEST_F(ManifestTest, JsonRoundTripsWithRfc3339TimesAndHexIds) {
  const Manifest m = Sample();
  const std::string text = ManifestToJson(m);
  EXPECT_NE(text.find("\"started\": \"2026-03-07T01:02:03.456Z\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"clusterId\": \"cdf818194e3a8c32\""), std::string::npos) << text;
  auto back = ManifestFromJson(text, "x.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ManifestToJson(*back), text);
  EXPECT_EQ(back->finished, m.finished);
}

TEST_F(ManifestTest, SomethingElseIsRefusedNamingTheFile) {
  for (const std::string text : {"[]", "{\"format\":\"other\"}", "not json",
                                 "{\"format\":\"etcdsnap-manifest/1\",\"size\":\"5\"}"}) {
    auto m = ManifestFromJson(text, "/b/x.json");
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), Code::kCorruption);
    EXPECT_NE(m.status().message().find("/b/x.json is not an etcdsnap manifest"),
              std::string::npos);
  }
}

TEST_F(ManifestTest, CheckComparesSizeAndSha256OfTheFile) {
  const std::string file = (dir_ / "etcd.db").string();
  EXPECT_FALSE(CheckManifest(file).value().has_value());  // no manifest: nothing to say
  std::ofstream(file) << "hello";
  ASSERT_TRUE(WriteManifest(file, Sample()).ok());
  struct stat st {};
  ASSERT_EQ(::stat((file + ".json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto same = CheckManifest(file);
  ASSERT_TRUE(same.ok() && same->has_value()) << same.status().message();
  EXPECT_TRUE((*same)->ok()) << (*same)->Mismatch();

  std::ofstream(file) << "hellO";
  auto changed = CheckManifest(file);
  ASSERT_TRUE(changed.ok() && changed->has_value());
  EXPECT_FALSE((*changed)->ok());
  EXPECT_EQ((*changed)->Mismatch().rfind("its sha256 is ", 0), 0u) << (*changed)->Mismatch();

  std::ofstream(file) << "hell";
  auto cut = CheckManifest(file);
  ASSERT_TRUE(cut.ok() && cut->has_value());
  EXPECT_EQ((*cut)->Mismatch(), "its size is 4 bytes, " + file + ".json says 5");
}

}  // namespace
}  // namespace etcdsnap::snapshot
