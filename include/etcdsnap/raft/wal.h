// etcd's write-ahead log, the part restore writes: walpb.Record frames with a chained CRC-32C,
// built in memory (WalEncoder), written as a preallocated segment (WriteWalSegment), and read
// back (ReadWal) to check what was written.
//
// Frame (wal/encoder.go): an 8-byte little-endian length whose top byte, when the record is
// padded, is 0x80 | pad; the marshalled record; pad zero bytes to an 8-byte boundary.
// CRC (wal/encoder.go, pkg/crc): one running Castagnoli crc over the data of every record,
// seeded with the previous segment's crc (0 for the first); each record carries the crc after
// its own data. A crc record carries the seed and no data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "etcdsnap/raft/proto.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::raft {

// wal.SegmentSizeBytes: every segment file is preallocated to this size (not 64 MiB).
inline constexpr uint64_t kWalSegmentSizeBytes = 64 * 1000 * 1000;

// "%016x-%016x.wal" (sequence, raft index).
std::string WalFileName(uint64_t seq, uint64_t index);

class WalEncoder {
 public:
  explicit WalEncoder(uint32_t prev_crc = 0) : crc_(prev_crc) {}

  // Appends a record of `type`; its crc is the running crc after `data`.
  void Append(RecordType type, std::optional<std::string> data);
  // The records wal.Create writes first: crc (the seed), metadata, an empty snapshot.
  void AppendHead(std::string_view metadata);
  // wal.Save: one entry record per entry, then the hard state.
  void AppendEntriesAndState(const std::vector<Entry>& entries, const HardState& state);
  void AppendSnapshot(const WalSnapshot& snap);

  const std::string& bytes() const { return out_; }
  uint32_t crc() const { return crc_; }

 private:
  uint32_t crc_;
  std::string out_;
};

// Decodes the records of a segment up to its first zero length field (the preallocated tail) or
// its end, and checks every crc as etcd's decoder and ReadAll do (a crc record must carry the
// running crc unless that is 0, and reseeds it). A frame running past the end, a bad pad, a
// record that does not decode or a crc mismatch is Corruption naming the byte offset.
Result<std::vector<WalRecord>> ReadWal(std::string_view segment, uint32_t prev_crc = 0);

// Creates `path` (it must not exist) with mode 0600, preallocates it to kWalSegmentSizeBytes
// with posix_fallocate (ftruncate, a sparse file, where the file system cannot allocate), writes
// `head` at offset 0 and fdatasyncs it. On failure the file is removed.
Status WriteWalSegment(const std::string& path, std::string_view head);

}  // namespace etcdsnap::raft
