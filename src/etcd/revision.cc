#include "etcdsnap/etcd/revision.h"

#include <string>

namespace etcdsnap::etcd {
namespace {

int64_t LoadBE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

}  // namespace

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
  r.main = LoadBE64(key.data());
  r.sub = LoadBE64(key.data() + 9);
  r.tombstone = key.size() == kTombstoneKeySize;
  return r;
}

}  // namespace etcdsnap::etcd
