#include "etcdsnap/etcd/revision.h"

#include <string>

#include "etcdsnap/bolt/format.h"

namespace etcdsnap::etcd {

Result<Revision> ParseRevisionKey(std::span<const uint8_t> key) {
  if (key.size() != kRevisionKeySize && key.size() != kTombstoneKeySize) {
    return Status::Corruption("revision key is " + std::to_string(key.size()) +
                              " bytes, not 17 (or 18 for a deletion)");
  }
  if (key[8] != '_') return Status::Corruption("revision key has no '_' separator at byte 8");
  if (key.size() == kTombstoneKeySize && key[17] != 't') {
    return Status::Corruption("18-byte revision key does not end with the deletion mark 't'");
  }
  Revision r;
  r.main = static_cast<int64_t>(bolt::LoadBE64(key.data()));
  r.sub = static_cast<int64_t>(bolt::LoadBE64(key.data() + 9));
  r.tombstone = key.size() == kTombstoneKeySize;
  return r;
}

}  // namespace etcdsnap::etcd
