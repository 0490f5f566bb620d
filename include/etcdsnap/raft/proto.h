// The protobuf messages a restored data dir holds, encoded and decoded by hand (no libprotobuf):
// raftpb (Entry, HardState, ConfState, ConfChange, SnapshotMetadata, Snapshot), walpb (Record,
// Snapshot), snappb.Snapshot and etcdserverpb.Metadata, as etcd 3.4/3.5's gogoproto code lays
// them out: fields in field-number order, non-nullable scalars always emitted (zeros included),
// repeated uint64 not packed, a bytes field emitted when set (std::nullopt is Go's nil, so an
// empty but set value still gives a 0-length field).
//
// The decoders take what those encoders write and also what protobuf-go writes for 3.7 (unset
// fields omitted, packed repeated fields); unknown fields are skipped as protobuf does. A
// truncated varint or length, a field with the wrong wire type or a group is Corruption.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::raft {

// ---- raftpb ----

enum class EntryType : uint64_t { kNormal = 0, kConfChange = 1, kConfChangeV2 = 2 };

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::optional<std::string> data;
  bool operator==(const Entry&) const = default;
};

struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
};

struct ConfState {
  std::vector<uint64_t> voters;
  std::vector<uint64_t> learners;
  std::vector<uint64_t> voters_outgoing;
  std::vector<uint64_t> learners_next;
  bool auto_leave = false;
  bool operator==(const ConfState&) const = default;
};

enum class ConfChangeType : uint64_t {
  kAddNode = 0,
  kRemoveNode = 1,
  kUpdateNode = 2,
  kAddLearnerNode = 3,
};

struct ConfChange {
  uint64_t id = 0;
  ConfChangeType type = ConfChangeType::kAddNode;
  uint64_t node_id = 0;
  std::optional<std::string> context;
  bool operator==(const ConfChange&) const = default;
};

struct SnapshotMetadata {
  ConfState conf_state;
  uint64_t index = 0;
  uint64_t term = 0;
  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  std::optional<std::string> data;
  SnapshotMetadata metadata;
  bool operator==(const Snapshot&) const = default;
};

// ---- walpb ----

enum class RecordType : int64_t {
  kMetadata = 1,
  kEntry = 2,
  kState = 3,
  kCrc = 4,
  kSnapshot = 5,
};

struct WalRecord {
  int64_t type = 0;
  uint32_t crc = 0;
  std::optional<std::string> data;
  bool operator==(const WalRecord&) const = default;
};

// walpb.Snapshot; conf_state is a 3.5 field (3.4 skips it as unknown).
struct WalSnapshot {
  uint64_t index = 0;
  uint64_t term = 0;
  std::optional<ConfState> conf_state;
  bool operator==(const WalSnapshot&) const = default;
};

// ---- snappb ----

// snappb.Snapshot: the whole content of a .snap file.
struct SnapFile {
  uint32_t crc = 0;
  std::optional<std::string> data;
  bool operator==(const SnapFile&) const = default;
};

// ---- etcdserverpb ----

// etcdserverpb.Metadata: the WAL's metadata record.
struct Metadata {
  uint64_t node_id = 0;
  uint64_t cluster_id = 0;
  bool operator==(const Metadata&) const = default;
};

std::string Encode(const Entry& m);
std::string Encode(const HardState& m);
std::string Encode(const ConfState& m);
std::string Encode(const ConfChange& m);
std::string Encode(const SnapshotMetadata& m);
std::string Encode(const Snapshot& m);
std::string Encode(const WalRecord& m);
std::string Encode(const WalSnapshot& m);
std::string Encode(const SnapFile& m);
std::string Encode(const Metadata& m);

Result<Entry> DecodeEntry(std::string_view b);
Result<HardState> DecodeHardState(std::string_view b);
Result<ConfState> DecodeConfState(std::string_view b);
Result<ConfChange> DecodeConfChange(std::string_view b);
Result<SnapshotMetadata> DecodeSnapshotMetadata(std::string_view b);
Result<Snapshot> DecodeSnapshot(std::string_view b);
Result<WalRecord> DecodeWalRecord(std::string_view b);
Result<WalSnapshot> DecodeWalSnapshot(std::string_view b);
Result<SnapFile> DecodeSnapFile(std::string_view b);
Result<Metadata> DecodeMetadata(std::string_view b);

}  // namespace etcdsnap::raft
