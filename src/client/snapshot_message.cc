#include "etcdsnap/client/snapshot_message.h"

#include <algorithm>
#include <string>

namespace etcdsnap::client {
namespace {

// Reads across the pieces of one message. Every read checks `left_` (the bytes not read yet)
// first, so no read can pass the end of the message, however the lengths lie.
class PieceCursor {
 public:
  explicit PieceCursor(std::span<const Piece> pieces) : pieces_(pieces) {
    for (const Piece& p : pieces) left_ += p.size();
    total_ = left_;
  }
  uint64_t left() const { return left_; }
  uint64_t offset() const { return total_ - left_; }

  bool Byte(uint8_t* out) {
    if (left_ == 0) return false;
    while (at_ == pieces_[index_].size()) Next();
    *out = pieces_[index_][at_++];
    --left_;
    return true;
  }

  // A varint of at most 64 bits: false when the message ends inside it or it is longer.
  bool Varint(uint64_t* out, bool* too_long) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte;
      if (!Byte(&byte)) return false;
      if (shift == 63 && byte > 1) {
        *too_long = true;
        return false;
      }
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // not reached: the tenth byte either ends the varint or is too long
  }

  // The next n bytes (n <= left()) as pieces appended to `out` (nullptr: skipped).
  void Take(uint64_t n, std::vector<Piece>* out) {
    left_ -= n;
    while (n > 0) {
      while (at_ == pieces_[index_].size()) Next();
      const size_t k = static_cast<size_t>(std::min<uint64_t>(n, pieces_[index_].size() - at_));
      if (out != nullptr) out->push_back(pieces_[index_].subspan(at_, k));
      at_ += k;
      n -= k;
    }
  }

 private:
  void Next() {
    ++index_;
    at_ = 0;
  }

  std::span<const Piece> pieces_;
  size_t index_ = 0;  // the piece read next (valid while left_ > 0)
  size_t at_ = 0;     // the offset in it
  uint64_t left_ = 0;
  uint64_t total_ = 0;
};

enum : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };
constexpr uint64_t kFieldRemainingBytes = 2;
constexpr uint64_t kFieldBlob = 3;
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;  // protobuf's limit

Status Malformed(const std::string& what, uint64_t offset) {
  return Status::Corruption("malformed SnapshotResponse: " + what + " at byte " +
                            std::to_string(offset));
}

}  // namespace

Status ParseSnapshotResponse(std::span<const Piece> message, SnapshotMessage* out) {
  out->remaining_bytes = 0;
  out->blob.clear();
  out->blob_size = 0;
  PieceCursor in(message);
  while (in.left() > 0) {
    const uint64_t field_at = in.offset();
    uint64_t tag;
    bool too_long = false;
    if (!in.Varint(&tag, &too_long)) {
      return Malformed(too_long ? "field tag longer than 64 bits" : "message ends inside a field tag",
                       field_at);
    }
    const uint64_t field = tag >> 3;
    const auto wire = static_cast<uint32_t>(tag & 7);
    if (field == 0 || field > kMaxFieldNumber) {
      return Malformed("field number " + std::to_string(field), field_at);
    }
    switch (wire) {
      case kVarint: {
        uint64_t v;
        if (!in.Varint(&v, &too_long)) {
          return Malformed(too_long ? "varint longer than 64 bits" : "message ends inside a varint",
                           field_at);
        }
        if (field == kFieldRemainingBytes) out->remaining_bytes = v;
        break;
      }
      case kBytes: {
        uint64_t n;
        if (!in.Varint(&n, &too_long)) {
          return Malformed(too_long ? "length longer than 64 bits" : "message ends inside a length",
                           field_at);
        }
        if (n > in.left()) {
          return Malformed("field " + std::to_string(field) + " of " + std::to_string(n) +
                               " bytes with " + std::to_string(in.left()) + " left",
                           field_at);
        }
        if (field == kFieldBlob) {
          out->blob.clear();  // a repeated bytes field: the last one wins, as in protobuf
          out->blob_size = n;
          in.Take(n, &out->blob);
        } else {
          in.Take(n, nullptr);  // field 1 (the header) and unknown fields
        }
        break;
      }
      case kFixed64:
      case kFixed32: {
        const uint64_t n = wire == kFixed64 ? 8 : 4;
        if (n > in.left()) return Malformed("message ends inside a fixed-size field", field_at);
        in.Take(n, nullptr);
        break;
      }
      case kStartGroup:
      case kEndGroup:
        return Malformed("group field " + std::to_string(field) + " (not used by etcd)", field_at);
      default:
        return Malformed("wire type " + std::to_string(wire) + " of field " + std::to_string(field),
                         field_at);
    }
  }
  return Status::Ok();
}

}  // namespace etcdsnap::client
