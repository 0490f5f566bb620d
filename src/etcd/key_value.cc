#include "etcdsnap/etcd/key_value.h"

#include <string>

namespace etcdsnap::etcd {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads protobuf wire data from a span; every read is bounds-checked.
class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  size_t pos() const { return pos_; }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= b_.size()) return false;
      const uint8_t byte = b_[pos_++];
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Skip(uint64_t n) {
    if (n > b_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  bool Bytes(std::string_view* out) {
    uint64_t n;
    if (!Varint(&n) || n > b_.size() - pos_) return false;
    *out = std::string_view(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

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
    const bool bytes_field = field == 1 || field == 5;
    const bool int_field = field >= 2 && field <= 6 && !bytes_field;
    if ((bytes_field && wire != kLengthDelimited) || (int_field && wire != kVarint)) {
      return Bad(at,
                 "field " + std::to_string(field) + " has wrong wire type " + std::to_string(wire));
    }
    switch (wire) {
      case kVarint: {
        uint64_t v;
        if (!r.Varint(&v)) return Bad(at, "truncated varint");
        const int64_t s = static_cast<int64_t>(v);
        if (field == 2) kv.create_revision = s;
        if (field == 3) kv.mod_revision = s;
        if (field == 4) kv.version = s;
        if (field == 6) kv.lease = s;
        break;
      }
      case kLengthDelimited: {
        std::string_view v;
        if (!r.Bytes(&v)) return Bad(at, "length runs past the end");
        if (field == 1) kv.key = v;
        if (field == 5) kv.value = v;
        break;
      }
      case kFixed64:
        if (!r.Skip(8)) return Bad(at, "truncated fixed64");
        break;
      case kFixed32:
        if (!r.Skip(4)) return Bad(at, "truncated fixed32");
        break;
      default:
        return Bad(at, "unsupported wire type " + std::to_string(wire));
    }
  }
  return kv;
}

}  // namespace etcdsnap::etcd
