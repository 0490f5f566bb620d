#include "etcdsnap/raft/snap.h"

#include "etcdsnap/util/crc32c.h"
#include "write_file.h"

namespace etcdsnap::raft {

std::string SnapFileName(uint64_t term, uint64_t index) {
  return HexPairFileName(term, index, ".snap");
}

std::string EncodeSnapFile(const Snapshot& snap) {
  std::string b = Encode(snap);
  const uint32_t crc = crc32c::Value(b);
  return Encode(SnapFile{crc, std::move(b)});
}

Result<Snapshot> DecodeSnapFileContent(std::string_view file) {
  ETCDSNAP_ASSIGN_OR_RETURN(SnapFile f, DecodeSnapFile(file));
  if (!f.data) return Status::Corruption("snap file holds no snapshot");
  if (crc32c::Value(*f.data) != f.crc) return Status::Corruption("snap file crc mismatch");
  return DecodeSnapshot(*f.data);
}

Status WriteSnapFile(const std::string& dir, const Snapshot& snap) {
  if (snap.metadata.index == 0) {
    return Status::InvalidArgument("refusing to write an empty snapshot (index 0) to " + dir);
  }
  return WriteNewFile(dir + "/" + SnapFileName(snap.metadata.term, snap.metadata.index),
                      EncodeSnapFile(snap));
}

}  // namespace etcdsnap::raft
