// A bounds-checked reader of protobuf wire data, for the few messages decoded by hand without
// libprotobuf (mvccpb.KeyValue, leasepb.Lease, Kubernetes' runtime.Unknown envelope). Every read checks the
// bytes left; a failed read leaves the reader where it was and returns false.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace etcdsnap::etcd {

enum WireType : uint32_t { kWireVarint = 0, kWireFixed64 = 1, kWireBytes = 2, kWireFixed32 = 5 };

class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> b) : b_(b) {}
  explicit WireReader(std::string_view s)
      : b_(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}
  bool done() const { return pos_ >= b_.size(); }
  size_t pos() const { return pos_; }  // bytes read so far (for error messages)

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    size_t at = pos_;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at >= b_.size()) return false;
      const uint8_t byte = b_[at++];
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        pos_ = at;
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Bytes(std::string_view* out) {
    const size_t at = pos_;
    uint64_t n;
    if (!Varint(&n) || n > b_.size() - pos_) {
      pos_ = at;
      return false;
    }
    *out = std::string_view(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  // A field's tag: its number and wire type.
  bool Tag(uint64_t* field, uint32_t* wire) {
    uint64_t tag;
    if (!Varint(&tag) || (tag >> 3) == 0) return false;
    *field = tag >> 3;
    *wire = static_cast<uint32_t>(tag & 7);
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > b_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  // Skips a field's value of the given wire type; false for groups and unknown types.
  bool SkipValue(uint32_t wire) {
    uint64_t v;
    std::string_view s;
    switch (wire) {
      case kWireVarint:
        return Varint(&v);
      case kWireBytes:
        return Bytes(&s);
      case kWireFixed64:
        return Skip(8);
      case kWireFixed32:
        return Skip(4);
      default:
        return false;
    }
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

}  // namespace etcdsnap::etcd
