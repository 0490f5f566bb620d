// etcd's .snap files (etcdserver/api/snap): snappb.Snapshot{crc, data} where data is a marshalled
// raftpb.Snapshot and crc its CRC-32C (one crc per file, not chained).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "etcdsnap/raft/proto.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::raft {

// "%016x-%016x.snap" (term, index).
std::string SnapFileName(uint64_t term, uint64_t index);

// The bytes of the .snap file of `snap`.
std::string EncodeSnapFile(const Snapshot& snap);

// Decodes a .snap file and checks its crc (Corruption on a mismatch, no data, or bad wire data).
Result<Snapshot> DecodeSnapFileContent(std::string_view file);

// Writes `snap` to <dir>/SnapFileName(term, index) (mode 0600, must not exist, fdatasynced; removed
// on failure). An empty snapshot (index 0) is refused: etcd never writes one.
Status WriteSnapFile(const std::string& dir, const Snapshot& snap);

}  // namespace etcdsnap::raft
