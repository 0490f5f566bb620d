#include "etcdsnap/etcd/lease.h"

#include <string>

#include "etcdsnap/etcd/wire.h"

namespace etcdsnap::etcd {

Result<Lease> DecodeLease(std::span<const uint8_t> bytes) {
  Lease lease;
  WireReader r(bytes);
  while (!r.done()) {
    uint64_t field;
    uint32_t wire;
    if (!r.Tag(&field, &wire)) return Status::Corruption("Lease: truncated field tag");
    if (field <= 3) {
      uint64_t v;
      if (wire != kWireVarint) {
        return Status::Corruption("Lease: field " + std::to_string(field) +
                                  " has wrong wire type " + std::to_string(wire));
      }
      if (!r.Varint(&v)) return Status::Corruption("Lease: truncated varint");
      (field == 1 ? lease.id : field == 2 ? lease.ttl : lease.remaining_ttl) =
          static_cast<int64_t>(v);
    } else if (!r.SkipValue(wire)) {
      return Status::Corruption("Lease: field " + std::to_string(field) + " is truncated");
    }
  }
  return lease;
}

}  // namespace etcdsnap::etcd
