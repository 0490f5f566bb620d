// mvccpb.KeyValue, the value of every entry in etcd's `key` bucket, decoded by hand from the
// protobuf wire format (fields 1 key, 2 create_revision, 3 mod_revision, 4 version, 5 value,
// 6 lease; unknown fields are skipped as protobuf does). No libprotobuf needed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "etcdsnap/etcd/wire.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

// A decoded KeyValue; key and value borrow the input bytes.
struct KeyValue {
  std::string_view key;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  std::string_view value;
  int64_t lease = 0;
};

// Whether a KeyValue may carry `field` with `wire`: field 0 never; key (1) and value (5) are
// bytes, the four integers (2, 3, 4, 6) varints; any other field may be any wire type that can
// be skipped (the caller rejects groups). The one rule of DecodeKeyValue and the revision
// scanner's streamed decoder.
inline bool KeyValueFieldOk(uint64_t field, uint32_t wire) {
  if (field == 0) return false;
  if (field == 1 || field == 5) return wire == kWireBytes;
  if (field >= 2 && field <= 6) return wire == kWireVarint;
  return true;
}

// Decodes `bytes`; a truncated varint or length, a field with the wrong wire type, or a
// deprecated group is Corruption.
Result<KeyValue> DecodeKeyValue(std::span<const uint8_t> bytes);

}  // namespace etcdsnap::etcd
