#include "etcdsnap/raft/proto.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace etcdsnap::raft {
namespace {

constexpr uint64_t kDefaultId = 0x8e9e05c52164694dull;
constexpr uint64_t kDefaultCluster = 0xcdf818194e3a8c32ull;

// The byte strings below are quoted from default-restore-wal-head.bin (etcdctl 3.4.23).
TEST(ProtoTest, MetadataAsEtcdWritesIt) {
  EXPECT_EQ(Hex(Encode(Metadata{kDefaultId, kDefaultCluster})),
            "08cdd2918bd2b881cf8e0110b298eaf1948386fccd01");
  // gogo's non-nullable scalars are emitted even when zero.
  EXPECT_EQ(Hex(Encode(Metadata{})), "08001000");
}

TEST(ProtoTest, ZeroScalarsAreAlwaysEmitted) {
  EXPECT_EQ(Hex(Encode(WalSnapshot{})), "08001000");
  EXPECT_EQ(Hex(Encode(HardState{})), "080010001800");
  EXPECT_EQ(Hex(Encode(HardState{1, kDefaultId, 1})), "080110cdd2918bd2b881cf8e011801");
  EXPECT_EQ(Hex(Encode(ConfState{})), "2800");
  EXPECT_EQ(Hex(Encode(WalRecord{4, 0, std::nullopt})), "08041000");
  EXPECT_EQ(Hex(Encode(Entry{})), "080010001800");
  EXPECT_EQ(Hex(Encode(SnapFile{})), "0800");
}

TEST(ProtoTest, NilAndEmptyBytesDiffer) {
  // Go's nil []byte is not emitted; an empty non-nil one is a 0-length field.
  EXPECT_EQ(Hex(Encode(WalRecord{2, 7, std::string()})), "080210071a00");
  EXPECT_EQ(Hex(Encode(ConfChange{})), "080010001800");
  EXPECT_EQ(Hex(Encode(ConfChange{0, ConfChangeType::kAddNode, 1, std::string()})),
            "08001000180122"
            "00");
  EXPECT_EQ(Hex(Encode(ConfChange{0, ConfChangeType::kAddNode, 1, std::string("x")})),
            "08001000180122"
            "0178");
}

TEST(ProtoTest, ConfChangeEntryAsEtcdWritesIt) {
  const std::string ctx =
      R"({"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default"})";
  const std::string cc = Encode(ConfChange{0, ConfChangeType::kAddNode, kDefaultId, ctx});
  EXPECT_EQ(Hex(cc.substr(0, 17)), "0800100018cdd2918bd2b881cf8e012251");
  const std::string e = Encode(Entry{1, 1, EntryType::kConfChange, cc});
  EXPECT_EQ(Hex(e.substr(0, 8)), "0801100118012262");
  EXPECT_EQ(e.size(), 0x6au);
}

TEST(ProtoTest, RepeatedFieldsAreNotPacked) {
  ConfState cs;
  cs.voters = {1, 2};
  cs.learners = {3};
  cs.voters_outgoing = {4};
  cs.learners_next = {5};
  cs.auto_leave = true;
  EXPECT_EQ(Hex(Encode(cs)), "080108021003180420052801");
}

TEST(ProtoTest, SnapshotMetadataAsEtcdWritesIt) {
  // The tail of default-restore.snap: 12 13 0a 0d [08 <id> 28 00] 10 01 18 01.
  Snapshot s;
  s.metadata.conf_state.voters = {kDefaultId};
  s.metadata.index = 1;
  s.metadata.term = 1;
  EXPECT_EQ(Hex(Encode(s)), "12130a0d08cdd2918bd2b881cf8e01280010011801");
}

TEST(ProtoTest, EverythingRoundTrips) {
  ConfState cs{{1, 2, ~0ull}, {3}, {4}, {5}, true};
  EXPECT_EQ(*DecodeConfState(Encode(cs)), cs);
  Entry e{5, 6, EntryType::kConfChangeV2, std::string("data")};
  EXPECT_EQ(*DecodeEntry(Encode(e)), e);
  Entry nil_data{5, 6, EntryType::kNormal, std::nullopt};
  EXPECT_EQ(*DecodeEntry(Encode(nil_data)), nil_data);
  HardState hs{1, 2, 3};
  EXPECT_EQ(*DecodeHardState(Encode(hs)), hs);
  ConfChange cc{9, ConfChangeType::kAddLearnerNode, 7, std::string("ctx")};
  EXPECT_EQ(*DecodeConfChange(Encode(cc)), cc);
  Snapshot s{std::string("json"), SnapshotMetadata{cs, 10, 11}};
  EXPECT_EQ(*DecodeSnapshot(Encode(s)), s);
  WalRecord r{-1, 0xffffffffu, std::string("d")};
  EXPECT_EQ(*DecodeWalRecord(Encode(r)), r);
  WalSnapshot ws{3, 1, cs};
  EXPECT_EQ(*DecodeWalSnapshot(Encode(ws)), ws);
  WalSnapshot ws34{3, 1, std::nullopt};
  EXPECT_EQ(*DecodeWalSnapshot(Encode(ws34)), ws34);
  SnapFile sf{42, std::string("x")};
  EXPECT_EQ(*DecodeSnapFile(Encode(sf)), sf);
  Metadata md{kDefaultId, kDefaultCluster};
  EXPECT_EQ(*DecodeMetadata(Encode(md)), md);
}

TEST(ProtoTest, DecodesProtobufGoLayout) {
  // 3.7 (protobuf-go, explicit presence): unset fields omitted, e.g. a ConfChange without id and
  // type, a ConfState without auto_leave; packed voters as another encoder may write them.
  auto cc = DecodeConfChange(Unhex("1807 2203 637478"));
  ASSERT_TRUE(cc.ok()) << cc.status().message();
  EXPECT_EQ(*cc, (ConfChange{0, ConfChangeType::kAddNode, 7, std::string("ctx")}));
  auto cs = DecodeConfState(Unhex("0a03 010203 0804"));
  ASSERT_TRUE(cs.ok()) << cs.status().message();
  EXPECT_EQ(cs->voters, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(cs->auto_leave);
  // Unknown fields of every wire type are skipped.
  auto md = DecodeMetadata(Unhex("0801 4801 5103000000000000 00 5a01ff 5d04030201 1002"));
  ASSERT_TRUE(md.ok()) << md.status().message();
  EXPECT_EQ(*md, (Metadata{1, 2}));
}

TEST(ProtoTest, RefusesBrokenWireData) {
  EXPECT_EQ(DecodeHardState(Unhex("08")).status().code(), Code::kCorruption);         // varint cut
  EXPECT_EQ(DecodeWalRecord(Unhex("1a05 0102")).status().code(), Code::kCorruption);  // length
  EXPECT_EQ(DecodeWalRecord(Unhex("0a00")).status().code(), Code::kCorruption);    // type as bytes
  EXPECT_EQ(DecodeSnapFile(Unhex("1001")).status().code(), Code::kCorruption);     // data as varint
  EXPECT_EQ(DecodeEntry(Unhex("0b")).status().code(), Code::kCorruption);          // group
  EXPECT_EQ(DecodeEntry(Unhex("00")).status().code(), Code::kCorruption);          // field 0
  EXPECT_EQ(DecodeMetadata(Unhex("49 0102")).status().code(), Code::kCorruption);  // fixed64 cut
  EXPECT_EQ(DecodeEntry(Unhex("08ffffffffffffffffff7f")).status().code(), Code::kCorruption);
  // A broken nested message names where it was.
  auto s = DecodeSnapshot(Unhex("1202 0a05"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("raftpb.Snapshot field 2"), std::string::npos)
      << s.status().message();
}

}  // namespace
}  // namespace etcdsnap::raft
