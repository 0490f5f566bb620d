#include "etcdsnap/etcd/key_value.h"

#include <string>

#include "etcdsnap/etcd/wire.h"

namespace etcdsnap::etcd {
namespace {

Status Bad(size_t at, const std::string& what) {
  return Status::Corruption("KeyValue: " + what + " at byte " + std::to_string(at));
}

}  // namespace

Result<KeyValue> DecodeKeyValue(std::span<const uint8_t> bytes) {
  KeyValue kv;
  WireReader r(bytes);
  while (!r.done()) {
    const size_t at = r.pos();
    uint64_t tag;
    if (!r.Varint(&tag)) return Bad(at, "truncated field tag");
    const uint64_t field = tag >> 3;
    const uint32_t wire = static_cast<uint32_t>(tag & 7);
    if (field == 0) return Bad(at, "field number 0");
    if (!KeyValueFieldOk(field, wire)) {
      return Bad(at,
                 "field " + std::to_string(field) + " has wrong wire type " + std::to_string(wire));
    }
    switch (wire) {
      case kWireVarint: {
        uint64_t v;
        if (!r.Varint(&v)) return Bad(at, "truncated varint");
        const int64_t s = static_cast<int64_t>(v);
        if (field == 2) kv.create_revision = s;
        if (field == 3) kv.mod_revision = s;
        if (field == 4) kv.version = s;
        if (field == 6) kv.lease = s;
        break;
      }
      case kWireBytes: {
        std::string_view v;
        if (!r.Bytes(&v)) return Bad(at, "length runs past the end");
        if (field == 1) kv.key = v;
        if (field == 5) kv.value = v;
        break;
      }
      case kWireFixed64:
        if (!r.Skip(8)) return Bad(at, "truncated fixed64");
        break;
      case kWireFixed32:
        if (!r.Skip(4)) return Bad(at, "truncated fixed32");
        break;
      default:
        return Bad(at, "unsupported wire type " + std::to_string(wire));
    }
  }
  return kv;
}

}  // namespace etcdsnap::etcd
