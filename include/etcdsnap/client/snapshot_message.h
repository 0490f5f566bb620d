// etcdserverpb.SnapshotResponse decoded in place from the slices gRPC received it in, without
// libprotobuf: the blob (32 KiB per message from etcd, the whole snapshot in all) is handed on as
// pieces of those slices instead of being copied into a std::string first.
//
// The bytes come from the network and are untrusted: every length is checked against the bytes
// left, a varint longer than 64 bits or a tag of field 0 is an error, and a message ending inside
// a field is an error (never a short read past the end). Fields may come in any order and more
// than once (the last one wins, as protobuf merges scalars and bytes); unknown fields of the four
// wire types protobuf still uses are skipped. Groups (wire types 3 and 4, deprecated, never sent
// by etcd) are refused.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::client {

using Piece = std::span<const uint8_t>;

// One decoded message. `blob` points into the pieces given to ParseSnapshotResponse and is valid
// as long as they are.
struct SnapshotMessage {
  uint64_t remaining_bytes = 0;  // field 2
  std::vector<Piece> blob;       // field 3, in order, no empty piece
  uint64_t blob_size = 0;
};

// Decodes the message whose bytes are `message` (the pieces in order; empty pieces allowed).
// On error (kCorruption, naming the problem and its offset) `out` is unspecified.
Status ParseSnapshotResponse(std::span<const Piece> message, SnapshotMessage* out);

}  // namespace etcdsnap::client
