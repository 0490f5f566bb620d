// The bbolt on-disk layout: page header, meta page, leaf/branch elements, bucket header, and the
// little-endian readers that decode them from byte spans. Pure functions over borrowed bytes; a
// caller proves a span is long enough before decoding (every Decode* asserts it). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

using Pgid = uint64_t;
using Bytes = std::span<const uint8_t>;

inline constexpr uint16_t kBranchPageFlag = 0x01;
inline constexpr uint16_t kLeafPageFlag = 0x02;
inline constexpr uint16_t kMetaPageFlag = 0x04;
inline constexpr uint16_t kFreelistPageFlag = 0x10;
inline constexpr uint32_t kBucketLeafFlag = 0x01;

inline constexpr size_t kPageHeaderSize = 16;
inline constexpr size_t kElementSize = 16;  // leaf and branch elements alike
inline constexpr size_t kMetaSize = 64;
inline constexpr size_t kBucketHeaderSize = 16;
inline constexpr uint32_t kMagic = 0xED0CDAED;
inline constexpr uint32_t kSwappedMagic = 0xEDDA0CED;  // a big-endian (s390x, ppc64) file
inline constexpr uint32_t kVersion = 2;
inline constexpr Pgid kNoFreelist = ~Pgid{0};
inline constexpr uint16_t kFreelistCountOverflow = 0xFFFF;

inline uint16_t LoadLE16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t LoadLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
inline uint64_t LoadLE64(const uint8_t* p) {
  return static_cast<uint64_t>(LoadLE32(p)) | static_cast<uint64_t>(LoadLE32(p + 4)) << 32;
}
inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// The bytes as characters (no copy).
inline std::string_view View(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// bbolt's bytes.Compare: -1, 0 or 1, bytes compared as unsigned (char_traits<char>::compare is
// memcmp). Inline: the cursor calls it for every key it checks.
inline int CompareKeys(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// The bytes in double quotes for a message: printable ASCII as is, the rest (and '"', '\\') as
// \xNN; at most `limit` bytes, then "...".
std::string Quote(std::string_view s, size_t limit = 64);

// The 16 bytes at the start of every page.
struct PageHeader {
  Pgid id = 0;
  uint16_t flags = 0;
  uint16_t count = 0;
  uint32_t overflow = 0;
};
PageHeader DecodePageHeader(Bytes b);

// bbolt's page type names ("branch", "leaf", "meta", "freelist", else "unknown<xx>").
std::string PageTypeName(uint16_t flags);
// The type of a page that is not the one wanted (`want` names it: "leaf", "branch or leaf"):
// bbolt's name when the flags are one known type or none, else the flags in hex ("flags 0x03,
// not exactly branch or leaf"). Flags must equal exactly one type: bbolt reads 0x03 as a leaf
// in its cursor and as a branch in its Check().
std::string WrongTypeName(uint16_t flags, const char* want);

// The meta struct stored at offset 16 of pages 0 and 1.
struct Meta {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint32_t page_size = 0;
  uint32_t flags = 0;
  Pgid root = 0;
  uint64_t sequence = 0;
  Pgid freelist = 0;
  Pgid pgid = 0;  // high-water mark: pages [0, pgid) are the database
  uint64_t txid = 0;
  uint64_t checksum = 0;
};
// `b` holds at least kMetaSize bytes starting at the meta struct.
Meta DecodeMeta(Bytes b);
// FNV-1a 64 over the 56 bytes that precede the checksum field.
uint64_t MetaChecksum(Bytes b);
// bbolt's meta.validate(): "invalid database", "version mismatch" or "checksum error".
Status ValidateMeta(const Meta& m, Bytes raw);

// A leaf element: flags plus the key and value it points at.
struct LeafElement {
  uint32_t flags = 0;
  Bytes key;
  Bytes value;
  bool is_bucket() const { return (flags & kBucketLeafFlag) != 0; }
};

// A branch element: the first key of a child subtree and the child's page id.
struct BranchElement {
  Bytes key;
  Pgid child = 0;
};

// A bucket entry's value: the bucket header, plus the inline page when root == 0.
struct BucketHeader {
  Pgid root = 0;
  uint64_t sequence = 0;
  Bytes inline_page;  // empty unless root == 0
};
Result<BucketHeader> DecodeBucketHeader(Bytes value);

}  // namespace etcdsnap::bolt
