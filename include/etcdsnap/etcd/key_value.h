// mvccpb.KeyValue, the value of every entry in etcd's `key` bucket, decoded by hand from the
// protobuf wire format (fields 1 key, 2 create_revision, 3 mod_revision, 4 version, 5 value,
// 6 lease; unknown fields are skipped as protobuf does). No libprotobuf needed.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

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

// Decodes `bytes`; a truncated varint or length, a field with the wrong wire type, or a
// deprecated group is Corruption.
Result<KeyValue> DecodeKeyValue(std::span<const uint8_t> bytes);

}  // namespace etcdsnap::etcd
