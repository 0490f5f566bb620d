#include "etcdsnap/etcd/revision_scanner.h"

#include <algorithm>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"

namespace etcdsnap::etcd {
namespace {

constexpr size_t kMetaPageSizeOffset = bolt::kPageHeaderSize + 8;  // magic u32, version u32
constexpr int kMaxInlineDepth = 4;

// The main revision of a `key` bucket entry, or 0 when the element is not one.
int64_t KeyEntryRevision(std::span<const uint8_t> key, std::span<const uint8_t> value) {
  if (key.size() != kRevisionKeySize && key.size() != kTombstoneKeySize) return 0;
  Result<Revision> rev = ParseRevisionKey(key);
  if (!rev.ok() || rev->main <= 0) return 0;
  if (value.empty()) return rev->tombstone ? 0 : rev->main;  // the bump marker
  Result<KeyValue> kv = DecodeKeyValue(value);
  if (!kv.ok() || kv->key.empty()) return 0;
  if (!rev->tombstone && kv->mod_revision != rev->main) return 0;
  return rev->main;
}

}  // namespace

RevisionScanner::Header RevisionScanner::ReadHeader(const uint8_t* header) const {
  // A page's header names its own id. A free page that was the middle of an old overflow run
  // (bbolt reuses the first pages of a freed run and leaves the rest free) holds stale value
  // bytes where a header would be: its "id" is not its position, and it counts as one page.
  if (bolt::LoadLE64(header) != next_id_) return {.pages = 1, .leaf = false};
  return {.pages = uint64_t{bolt::LoadLE32(header + 12)} + 1,
          .leaf = bolt::LoadLE16(header + 8) == bolt::kLeafPageFlag};
}

void RevisionScanner::ScanLeaf(std::span<const uint8_t> page, int depth) {
  if (page.size() < bolt::kPageHeaderSize) return;
  const uint16_t count = bolt::LoadLE16(page.data() + 10);
  for (size_t i = 0; i < count; ++i) {
    const size_t at = bolt::kPageHeaderSize + i * bolt::kElementSize;
    if (at + bolt::kElementSize > page.size()) return;
    const uint8_t* e = page.data() + at;
    const uint32_t flags = bolt::LoadLE32(e), pos = bolt::LoadLE32(e + 4);
    const uint32_t ksize = bolt::LoadLE32(e + 8), vsize = bolt::LoadLE32(e + 12);
    const uint64_t kstart = at + uint64_t{pos}, vstart = kstart + ksize;
    if (vstart + vsize > page.size()) continue;
    const auto key = page.subspan(kstart, ksize);
    const auto value = page.subspan(vstart, vsize);
    if ((flags & bolt::kBucketLeafFlag) != 0) {
      // An inline bucket: its header (root 0), then a leaf page image.
      if (depth < kMaxInlineDepth && value.size() > bolt::kBucketHeaderSize &&
          bolt::LoadLE64(value.data()) == 0) {
        ScanLeaf(value.subspan(bolt::kBucketHeaderSize), depth + 1);
      }
      continue;
    }
    latest_ = std::max(latest_, KeyEntryRevision(key, value));
  }
}

void RevisionScanner::Add(std::span<const uint8_t> bytes) {
  while (!bytes.empty() && !dead_) {
    if (page_size_ == 0) {
      // The first bytes, up to meta page 0's page size field.
      const size_t need = kMetaPageSizeOffset + 4 - buf_.size();
      const size_t n = std::min(need, bytes.size());
      buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
      bytes = bytes.subspan(n);
      if (buf_.size() < kMetaPageSizeOffset + 4) return;
      const uint32_t ps = bolt::LoadLE32(buf_.data() + kMetaPageSizeOffset);
      if (bolt::LoadLE32(buf_.data() + bolt::kPageHeaderSize) != bolt::kMagic || ps < 512 ||
          ps > (1u << 24) || (ps & (ps - 1)) != 0) {
        dead_ = true;
        return;
      }
      page_size_ = ps;
      skip_ = 2 * uint64_t{ps} - buf_.size();  // the two meta pages
      next_id_ = 2;
      buf_.clear();
      continue;
    }
    if (skip_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, bytes.size()));
      skip_ -= n;
      bytes = bytes.subspan(n);
      continue;
    }
    if (page_bytes_ == 0 && buf_.empty() && bytes.size() >= bolt::kPageHeaderSize) {
      // The common case: the whole page is in this chunk; read it where it is.
      const Header h = ReadHeader(bytes.data());
      if (h.pages * page_size_ <= bytes.size()) {
        const size_t total = static_cast<size_t>(h.pages * page_size_);
        if (h.leaf) ScanLeaf(bytes.first(total), 0);
        next_id_ += h.pages;
        bytes = bytes.subspan(total);
        continue;
      }
    }
    if (page_bytes_ == 0) {
      // A page header: its flags and overflow say how long it is and whether to keep it.
      const size_t n = std::min(bolt::kPageHeaderSize - buf_.size(), bytes.size());
      buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
      bytes = bytes.subspan(n);
      if (buf_.size() < bolt::kPageHeaderSize) return;
      const Header h = ReadHeader(buf_.data());
      const uint64_t total = h.pages * page_size_;
      next_id_ += h.pages;
      if (!h.leaf || total > kMaxPageBytes) {
        if (h.leaf) ++skipped_;
        skip_ = total - buf_.size();
        buf_.clear();
        continue;
      }
      page_bytes_ = total;
      buf_.reserve(total);
      continue;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(page_bytes_ - buf_.size(), bytes.size()));
    buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
    bytes = bytes.subspan(n);
    if (buf_.size() < page_bytes_) return;
    ScanLeaf(buf_, 0);
    buf_.clear();
    if (buf_.capacity() > (uint64_t{1} << 20)) buf_.shrink_to_fit();  // after a large page
    page_bytes_ = 0;
  }
}

}  // namespace etcdsnap::etcd
