#include "etcdsnap/raft/restore_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"
#include "etcdsnap/raft/snap.h"
#include "etcdsnap/raft/wal.h"
#include "test_util.h"

namespace etcdsnap::raft {
namespace {

constexpr char kM2Cluster[] =
    "m1=http://10.0.0.1:2380,m2=http://10.0.0.2:2380,m3=http://10.0.0.3:2380";

RestoreFiles Build(const std::string& cluster, const std::string& name, const std::string& token,
                   WalLayout layout) {
  auto map = etcd::ParseInitialCluster(cluster);
  EXPECT_TRUE(map.ok()) << map.status().message();
  auto f = BuildRestoreFiles(*map, name, token, layout);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return f.ok() ? *f : RestoreFiles{};
}

// etcdctl 3.4.23's `snapshot restore` with all defaults, byte for byte.
TEST(RestoreFilesTest, DefaultRestoreIsByteIdenticalToEtcdctl34) {
  RestoreFiles f =
      Build("default=http://localhost:2380", "default", "etcd-cluster", WalLayout::kEtcd34);
  EXPECT_EQ(f.member_id, 0x8e9e05c52164694dull);
  EXPECT_EQ(f.cluster.id, 0xcdf818194e3a8c32ull);
  EXPECT_EQ(f.wal_name, "0000000000000000-0000000000000000.wal");
  EXPECT_EQ(Hex(f.wal_records), Hex(ReadTestData("default-restore-wal-head.bin")));
  EXPECT_EQ(f.snap_name, "0000000000000001-0000000000000001.snap");
  EXPECT_EQ(f.snap, ReadTestData("default-restore.snap"));
}

// `--name m2` of three members: the metadata names m2, the vote is the smallest ID (m2 here),
// entries and voters go in ascending ID order.
TEST(RestoreFilesTest, ThreeMemberRestoreIsByteIdenticalToEtcdctl34) {
  RestoreFiles f = Build(kM2Cluster, "m2", "tok", WalLayout::kEtcd34);
  EXPECT_EQ(f.member_id, 0x61b046c1789d11d8ull);
  EXPECT_EQ(f.cluster.id, 0x8e67f3b977698ab3ull);
  EXPECT_EQ(f.index, 3u);
  EXPECT_EQ(Hex(f.wal_records), Hex(ReadTestData("m2-restore-wal-head.bin")));
  EXPECT_EQ(f.snap_name, "0000000000000001-0000000000000003.snap");
  EXPECT_EQ(f.snap, ReadTestData("m2-restore.snap"));
}

// The only difference etcdutl 3.5 makes: the final walpb.Snapshot record carries the ConfState.
// etcd 3.4 reads that record with walpb.Snapshot.Unmarshal, which keeps unknown field 3 aside, and
// ReadAll compares index and term only, so a 3.4 server boots from the 3.5 layout.
TEST(RestoreFilesTest, Etcd35LayoutAddsTheConfStateToTheLastWalRecordOnly) {
  for (const char* name : {"m1", "m2", "m3"}) {
    RestoreFiles v34 = Build(kM2Cluster, name, "tok", WalLayout::kEtcd34);
    RestoreFiles v35 = Build(kM2Cluster, name, "tok", WalLayout::kEtcd35);
    EXPECT_EQ(v35.snap, v34.snap);  // 3.5 writes the same .snap
    auto r34 = ReadWal(v34.wal_records);
    auto r35 = ReadWal(v35.wal_records);
    ASSERT_TRUE(r34.ok() && r35.ok());
    ASSERT_EQ(r34->size(), 8u);  // crc, metadata, snapshot, 3 entries, state, snapshot
    ASSERT_EQ(r35->size(), 8u);
    const size_t last = v34.wal_records.size() - 24;  // the 3.4 final record: 8 + 14 + 2 pad
    EXPECT_EQ(v35.wal_records.substr(0, last), v34.wal_records.substr(0, last));
    auto ws = DecodeWalSnapshot(*r35->back().data);
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE(ws->conf_state.has_value());
    EXPECT_EQ(ws->index, 3u);
    EXPECT_EQ(ws->term, 1u);
    EXPECT_EQ(ws->conf_state->voters,
              (std::vector<uint64_t>{0x61b046c1789d11d8ull, 0x7aa181191753809eull,
                                     0x98521e8c6c48c6daull}));
    auto ws34 = DecodeWalSnapshot(*r34->back().data);
    ASSERT_TRUE(ws34.ok());
    EXPECT_FALSE(ws34->conf_state.has_value());
  }
}

TEST(RestoreFilesTest, RecordsDecodeToWhatRestoreMeans) {
  RestoreFiles f = Build(kM2Cluster, "m3", "tok", WalLayout::kEtcd35);
  auto recs = ReadWal(f.wal_records);
  ASSERT_TRUE(recs.ok()) << recs.status().message();
  auto md = DecodeMetadata(*(*recs)[1].data);
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(*md, (Metadata{0x7aa181191753809eull, 0x8e67f3b977698ab3ull}));
  for (uint64_t i = 0; i < 3; ++i) {
    auto e = DecodeEntry(*(*recs)[3 + i].data);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->index, i + 1);
    EXPECT_EQ(e->term, 1u);
    EXPECT_EQ(e->type, EntryType::kConfChange);
    auto cc = DecodeConfChange(*e->data);
    ASSERT_TRUE(cc.ok());
    EXPECT_EQ(cc->node_id, f.cluster.members[i].id);
    EXPECT_EQ(*cc->context, etcd::MemberJson(f.cluster.members[i]));
  }
  auto hs = DecodeHardState(*(*recs)[6].data);
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(*hs, (HardState{1, 0x61b046c1789d11d8ull, 3}));  // vote: smallest ID, not m3
  auto snap = DecodeSnapFileContent(f.snap);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata.index, 3u);
  EXPECT_EQ(snap->metadata.conf_state.voters.size(), 3u);
}

TEST(RestoreFilesTest, RefusesWhatEtcdRefuses) {
  auto map = etcd::ParseInitialCluster(kM2Cluster);
  ASSERT_TRUE(map.ok());
  auto no_name = BuildRestoreFiles(*map, "m4", "tok");
  EXPECT_EQ(no_name.status().message(),
            "couldn't find local name \"m4\" in the initial cluster configuration");
  auto empty = BuildRestoreFiles({}, "m1", "tok");
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  auto same_id = BuildRestoreFiles({{"a", {"http://h:1"}}, {"b", {"http://h:1"}}}, "a", "t");
  EXPECT_EQ(same_id.status().code(), Code::kInvalidArgument);
}

class RestoreFilesDiskTest : public testing::TempDirTest {};

TEST_F(RestoreFilesDiskTest, WritesBothFiles) {
  RestoreFiles f =
      Build("default=http://localhost:2380", "default", "etcd-cluster", WalLayout::kEtcd35);
  std::filesystem::create_directory(dir_ / "wal");
  std::filesystem::create_directory(dir_ / "snap");
  ASSERT_TRUE(WriteRestoreFiles(f, (dir_ / "wal").string(), (dir_ / "snap").string()).ok());
  const std::string wal = Read(dir_ / "wal" / f.wal_name);
  ASSERT_EQ(wal.size(), kWalSegmentSizeBytes);
  EXPECT_EQ(wal.substr(0, f.wal_records.size()), f.wal_records);
  EXPECT_EQ(Read(dir_ / "snap" / f.snap_name), f.snap);
}

TEST_F(RestoreFilesDiskTest, LeavesNoWalWhenTheSnapCannotBeWritten) {
  RestoreFiles f =
      Build("default=http://localhost:2380", "default", "etcd-cluster", WalLayout::kEtcd35);
  std::filesystem::create_directory(dir_ / "wal");
  Status st = WriteRestoreFiles(f, (dir_ / "wal").string(), (dir_ / "missing").string());
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "wal"));
}

}  // namespace
}  // namespace etcdsnap::raft
