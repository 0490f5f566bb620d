// etcd's revision keys in the `key` bucket: 8-byte big-endian main revision, '_', 8-byte
// big-endian sub revision (17 bytes), plus a trailing 't' for a deletion (tombstone, 18 bytes).
#pragma once

#include <cstdint>
#include <span>

#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

inline constexpr size_t kRevisionKeySize = 17;
inline constexpr size_t kTombstoneKeySize = 18;

// A decoded revision key.
struct Revision {
  int64_t main = 0;
  int64_t sub = 0;
  bool tombstone = false;
};

// Parses a revision key, refusing anything but the two well-formed shapes.
Result<Revision> ParseRevisionKey(std::span<const uint8_t> key);

}  // namespace etcdsnap::etcd
