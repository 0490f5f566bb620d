// etcd's bucket `lease`: key = the lease ID as 8 big-endian bytes, value = leasepb.Lease
// {ID=1, TTL=2, RemainingTTL=3} (all int64 varints), decoded by hand. Every key written with a
// lease names it in its KeyValue's `lease` field; when the lease expires, etcd deletes the keys.
#pragma once

#include <cstdint>
#include <span>

#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

struct Lease {
  int64_t id = 0;
  int64_t ttl = 0;            // seconds, as granted
  int64_t remaining_ttl = 0;  // seconds left at the last checkpoint (0: never checkpointed)
};

// Decodes a `lease` bucket value; unknown fields are skipped, a truncated or mistyped field is
// Corruption.
Result<Lease> DecodeLease(std::span<const uint8_t> bytes);

}  // namespace etcdsnap::etcd
