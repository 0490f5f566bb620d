// The write side of format.h: in-memory nodes (a page's elements, owning their bytes) and the
// encoders that lay them out as bbolt's node.write(), freelist.write() and meta.write() do.
// Shared by the bulk Builder and the copy-on-write UpdateTx; internal to src/bolt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

inline constexpr size_t kMaxKeySize = 32768;               // bbolt's MaxKeySize
inline constexpr uint64_t kMaxValueSize = (1u << 31) - 2;  // bbolt's MaxValueSize
inline constexpr size_t kMinKeysPerPage = 2;               // bbolt's minKeysPerPage

// One element of a leaf (flags, key, value) or branch (key, child) page.
struct Inode {
  uint32_t flags = 0;
  std::string key;
  std::string value;  // leaf only
  Pgid child = 0;     // branch only
};

// Bytes an element takes in a page: the 16-byte element plus its key (and value).
inline size_t ElementSize(const Inode& in, bool leaf) {
  return kElementSize + in.key.size() + (leaf ? in.value.size() : 0);
}
// bbolt's node.size(): header plus every element.
size_t NodeSize(const std::vector<Inode>& inodes, bool leaf);
inline size_t NodeSize(const std::vector<Inode>& inodes, size_t begin, size_t end, bool leaf) {
  size_t n = kPageHeaderSize;
  for (size_t i = begin; i < end; ++i) n += ElementSize(inodes[i], leaf);
  return n;
}

// Lays out inodes[begin, end) as a leaf or branch page with header id `id`. With page_size 0 the
// image has its exact size (an inline bucket's page); otherwise it is padded with zeros to whole
// pages and the header's overflow counts the extra pages.
std::vector<uint8_t> EncodeNode(const std::vector<Inode>& inodes, size_t begin, size_t end,
                                bool leaf, Pgid id, uint32_t page_size);

// bbolt's freelist.size() for `count` ids (the 0xFFFF form takes one more uint64).
size_t FreelistBytes(size_t count);
// A freelist page (ids sorted ascending) spanning `pages` pages, header id `id`.
std::vector<uint8_t> EncodeFreelist(const std::vector<Pgid>& ids, Pgid id, uint64_t pages,
                                    uint32_t page_size);

// A whole meta page (header id `slot`, meta fields, FNV-1a checksum, zero padding).
std::vector<uint8_t> EncodeMetaPage(const Meta& meta, Pgid slot, uint32_t page_size);

// A bucket entry's value: the bucket header (root, sequence), plus the inline page when root 0.
std::string EncodeBucketValue(Pgid root, uint64_t sequence,
                              const std::vector<uint8_t>& inline_page);

// pwrite(2) of all of `bytes` at `offset`, retrying on EINTR and short writes.
Status PwriteAll(int fd, uint64_t offset, const std::vector<uint8_t>& bytes,
                 const std::string& path);

// Key and value limits of bbolt's Put: "key required", "key too large", "value too large".
Status CheckKeyValue(std::string_view key, uint64_t value_size);

inline void StoreLE16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void StoreLE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace etcdsnap::bolt
