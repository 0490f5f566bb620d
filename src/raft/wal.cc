#include "etcdsnap/raft/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "etcdsnap/util/crc32c.h"
#include "etcdsnap/util/file.h"
#include "write_file.h"

namespace etcdsnap::raft {

std::string WalFileName(uint64_t seq, uint64_t index) {
  return HexPairFileName(seq, index, ".wal");
}

void WalEncoder::Append(RecordType type, std::optional<std::string> data) {
  if (data) crc_ = crc32c::Extend(crc_, *data);
  WalRecord rec{static_cast<int64_t>(type), crc_, std::move(data)};
  const std::string b = Encode(rec);
  const uint64_t pad = (8 - b.size() % 8) % 8;
  uint64_t len_field = b.size();
  if (pad != 0) len_field |= (0x80 | pad) << 56;
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(len_field >> (8 * i)));
  out_ += b;
  out_.append(pad, '\0');
}

void WalEncoder::AppendHead(std::string_view metadata) {
  Append(RecordType::kCrc, std::nullopt);
  Append(RecordType::kMetadata, std::string(metadata));
  Append(RecordType::kSnapshot, Encode(WalSnapshot{}));
}

void WalEncoder::AppendEntriesAndState(const std::vector<Entry>& entries, const HardState& st) {
  for (const Entry& e : entries) Append(RecordType::kEntry, Encode(e));
  Append(RecordType::kState, Encode(st));
}

void WalEncoder::AppendSnapshot(const WalSnapshot& snap) {
  Append(RecordType::kSnapshot, Encode(snap));
}

Result<std::vector<WalRecord>> ReadWal(std::string_view seg, uint32_t prev_crc) {
  std::vector<WalRecord> out;
  uint32_t crc = prev_crc;
  size_t pos = 0;
  const auto bad = [&](size_t at, const std::string& what) {
    return Status::Corruption("WAL record at byte " + std::to_string(at) + ": " + what);
  };
  while (seg.size() - pos >= 8) {
    const size_t at = pos;
    uint64_t len_field = 0;
    for (int i = 0; i < 8; ++i) {
      len_field |= static_cast<uint64_t>(static_cast<uint8_t>(seg[pos + i])) << (8 * i);
    }
    pos += 8;
    if (len_field == 0) break;  // the preallocated zeros
    const uint64_t len = len_field & 0x00ffffffffffffffull;
    uint64_t pad = 0;
    if (len_field >> 63) {
      pad = (len_field >> 56) & 7;
    } else if (len_field >> 56) {
      return bad(at, "length field has reserved bits set");
    }
    if (len > seg.size() - pos || pad > seg.size() - pos - len) {
      return bad(at, "record of " + std::to_string(len) + " bytes runs past the end");
    }
    auto rec = DecodeWalRecord(seg.substr(pos, len));
    if (!rec.ok()) return rec.status().Annotate("WAL record at byte " + std::to_string(at));
    pos += len + pad;
    if (rec->type == static_cast<int64_t>(RecordType::kCrc)) {
      if (crc != 0 && rec->crc != crc) return bad(at, "crc record does not carry the running crc");
      crc = rec->crc;
    } else {
      if (rec->data) crc = crc32c::Extend(crc, *rec->data);
      if (rec->crc != crc) return bad(at, "crc mismatch");
    }
    out.push_back(std::move(rec).value());
  }
  return out;
}

Status WriteWalSegment(const std::string& path, std::string_view head) {
  if (head.size() > kWalSegmentSizeBytes) {
    return Status::InvalidArgument("WAL records of " + std::to_string(head.size()) +
                                   " bytes do not fit one segment");
  }
  return WriteNewFile(path, head, [&](int fd) -> Status {
    const off_t size = static_cast<off_t>(kWalSegmentSizeBytes);
    // As etcd's fileutil.Preallocate: fallocate, ftruncate where it is not supported.
    int rc;
    do {
      rc = fallocate(fd, 0, 0, size);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) rc = ftruncate(fd, size);
    if (rc != 0) return Status::FromErrno("cannot preallocate " + path, errno);
    return Status::Ok();
  });
}

}  // namespace etcdsnap::raft
