#include "etcdsnap/etcd/revision_scanner.h"

#include <algorithm>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/etcd/wire.h"

namespace etcdsnap::etcd {
namespace {

constexpr size_t kMetaPageSizeOffset = bolt::kPageHeaderSize + 8;  // magic u32, version u32
constexpr int kMaxInlineDepth = 4;

// The main revision of a `key` bucket entry, given its key and what its value decoded to
// (empty: restore's bump marker), or 0 when the element is not one.
int64_t EntryRevision(std::span<const uint8_t> key, bool value_empty, bool decoded, bool has_key,
                      int64_t mod_revision) {
  if (key.size() != kRevisionKeySize && key.size() != kTombstoneKeySize) return 0;
  Result<Revision> rev = ParseRevisionKey(key);
  if (!rev.ok() || rev->main <= 0) return 0;
  if (value_empty) return rev->tombstone ? 0 : rev->main;
  if (!decoded || !has_key) return 0;
  if (!rev->tombstone && mod_revision != rev->main) return 0;
  return rev->main;
}

int64_t KeyEntryRevision(std::span<const uint8_t> key, std::span<const uint8_t> value) {
  if (key.size() != kRevisionKeySize && key.size() != kTombstoneKeySize) return 0;
  if (value.empty()) return EntryRevision(key, true, false, false, 0);
  Result<KeyValue> kv = DecodeKeyValue(value);
  if (!kv.ok()) return 0;
  return EntryRevision(key, false, true, !kv->key.empty(), kv->mod_revision);
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

int64_t RevisionScanner::ScanLeaf(std::span<const uint8_t> page, int depth) {
  int64_t latest = 0;
  if (page.size() < bolt::kPageHeaderSize) return latest;
  const uint16_t count = bolt::LoadLE16(page.data() + 10);
  for (size_t i = 0; i < count; ++i) {
    const size_t at = bolt::kPageHeaderSize + i * bolt::kElementSize;
    if (at + bolt::kElementSize > page.size()) return latest;
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
        latest = std::max(latest, ScanLeaf(value.subspan(bolt::kBucketHeaderSize), depth + 1));
      }
      continue;
    }
    latest = std::max(latest, KeyEntryRevision(key, value));
  }
  return latest;
}

bool RevisionScanner::KeyValueStream::VarintByte(uint8_t byte, bool* done) {
  if (shift_ == 63 && byte > 1) return false;  // more than 64 bits
  acc_ |= static_cast<uint64_t>(byte & 0x7f) << shift_;
  if ((byte & 0x80) == 0) {
    *done = true;
    return true;
  }
  shift_ += 7;
  return true;
}

// DecodeKeyValue's rules, a byte at a time: field 0, a known field with another wire type, a
// group, a varint over 64 bits or a length past the value's end make it fail; the last key and
// mod_revision fields count.
void RevisionScanner::KeyValueStream::Feed(std::span<const uint8_t> bytes) {
  if (bytes.size() > left_) {
    bad_ = true;
    return;
  }
  left_ -= bytes.size();
  size_t i = 0;
  while (i < bytes.size() && !bad_) {
    if (state_ == State::kSkip) {
      const uint64_t n = std::min<uint64_t>(skip_, bytes.size() - i);
      skip_ -= n;
      i += static_cast<size_t>(n);
      if (skip_ == 0) state_ = State::kTag;
      continue;
    }
    bool done = false;
    if (!VarintByte(bytes[i++], &done)) {
      bad_ = true;
      return;
    }
    if (!done) continue;
    const uint64_t v = acc_;
    acc_ = 0;
    shift_ = 0;
    const uint64_t rest = left_ + (bytes.size() - i);  // the value's bytes after this varint
    switch (state_) {
      case State::kTag: {
        field_ = v >> 3;
        const uint32_t wire = static_cast<uint32_t>(v & 7);
        if (!KeyValueFieldOk(field_, wire)) {
          bad_ = true;
        } else if (wire == kWireVarint) {
          state_ = State::kVarint;
        } else if (wire == kWireBytes) {
          state_ = State::kLength;
        } else if (wire == kWireFixed64 || wire == kWireFixed32) {
          skip_ = wire == kWireFixed64 ? 8 : 4;
          if (skip_ > rest) bad_ = true;
          state_ = State::kSkip;
        } else {
          bad_ = true;  // groups and unknown wire types
        }
        break;
      }
      case State::kVarint:
        if (field_ == 3) mod_ = static_cast<int64_t>(v);
        state_ = State::kTag;
        break;
      case State::kLength:
        if (v > rest) {
          bad_ = true;
          break;
        }
        if (field_ == 1) has_key_ = v > 0;
        skip_ = v;
        state_ = v > 0 ? State::kSkip : State::kTag;
        break;
      case State::kSkip:
        break;  // not reached: handled above
    }
  }
}

void RevisionScanner::NoteHeld() {
  peak_held_ = std::max<uint64_t>(peak_held_, buf_.capacity() + capture_.capacity() +
                                                  elements_.capacity() * sizeof(StreamedElement));
}

bool RevisionScanner::StartStream() {
  const uint16_t count = bolt::LoadLE16(buf_.data() + 10);
  elements_.clear();
  for (size_t i = 0; i < count; ++i) {
    const size_t at = bolt::kPageHeaderSize + i * bolt::kElementSize;
    const uint8_t* e = buf_.data() + at;
    const uint32_t flags = bolt::LoadLE32(e), pos = bolt::LoadLE32(e + 4);
    const uint32_t ksize = bolt::LoadLE32(e + 8), vsize = bolt::LoadLE32(e + 12);
    const uint64_t kstart = at + uint64_t{pos}, vstart = kstart + ksize;
    if (vstart + vsize > page_bytes_) continue;  // as ScanLeaf: past the page
    const bool bucket = (flags & bolt::kBucketLeafFlag) != 0;
    if (bucket) {
      if (vsize <= bolt::kBucketHeaderSize) continue;  // no page image to look into
      if (vsize > kStreamAbove) return false;
    } else if (ksize != kRevisionKeySize && ksize != kTombstoneKeySize) {
      continue;
    }
    elements_.push_back({.begin = kstart, .value_at = vstart, .end = vstart + vsize,
                         .bucket = bucket});
  }
  // bbolt writes the elements' bytes in order after the table; anything else is held whole.
  std::sort(elements_.begin(), elements_.end(),
            [](const StreamedElement& a, const StreamedElement& b) { return a.begin < b.begin; });
  uint64_t at = buf_.size();
  for (const StreamedElement& e : elements_) {
    if (e.begin < at) return false;
    at = e.end;
  }
  NoteHeld();
  streaming_ = true;
  page_latest_ = 0;
  stream_pos_ = buf_.size();
  element_ = 0;
  if (!elements_.empty()) kv_ = KeyValueStream(elements_[0].end - elements_[0].value_at);
  buf_.clear();
  return true;
}

void RevisionScanner::FinishStreamedElements() {
  while (element_ < elements_.size() && elements_[element_].end <= stream_pos_) {
    const StreamedElement& e = elements_[element_];
    if (e.bucket) {
      // As ScanLeaf: an inline bucket (root 0), its page image after the header.
      const std::span<const uint8_t> value(capture_);
      if (bolt::LoadLE64(value.data()) == 0) {
        page_latest_ = std::max(page_latest_, ScanLeaf(value.subspan(bolt::kBucketHeaderSize), 1));
      }
    } else {
      const int64_t rev = EntryRevision(capture_, e.end == e.value_at, kv_.ok(), kv_.has_key(),
                                        kv_.mod_revision());
      page_latest_ = std::max(page_latest_, rev);
    }
    capture_.clear();
    if (++element_ < elements_.size()) {
      const StreamedElement& next = elements_[element_];
      kv_ = KeyValueStream(next.end - next.value_at);
    }
  }
}

std::span<const uint8_t> RevisionScanner::Stream(std::span<const uint8_t> bytes) {
  for (;;) {
    FinishStreamedElements();
    if (stream_pos_ == page_bytes_) {
      // The page counts once it is whole, as a page held whole does (a file cut short in its
      // last page does not count that page).
      latest_ = std::max(latest_, page_latest_);
      streaming_ = false;
      page_bytes_ = 0;
      elements_.clear();
      capture_.clear();
      return bytes;
    }
    if (bytes.empty()) return bytes;
    // Up to the next boundary: skip, keep (a key; an inline bucket's value) or decode (a value).
    enum class Use { kSkip, kKeep, kDecode } use = Use::kSkip;
    uint64_t upto = page_bytes_;
    if (element_ < elements_.size()) {
      const StreamedElement& e = elements_[element_];
      if (stream_pos_ < e.begin) {
        upto = e.begin;
      } else if (stream_pos_ < e.value_at) {
        upto = e.value_at;
        if (!e.bucket) use = Use::kKeep;
      } else {
        upto = e.end;
        use = e.bucket ? Use::kKeep : Use::kDecode;
      }
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(upto - stream_pos_, bytes.size()));
    const std::span<const uint8_t> piece = bytes.first(n);
    if (use == Use::kKeep) {
      capture_.insert(capture_.end(), piece.begin(), piece.end());
      NoteHeld();
    } else if (use == Use::kDecode) {
      kv_.Feed(piece);
    }
    stream_pos_ += n;
    bytes = bytes.subspan(n);
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
        if (h.leaf) latest_ = std::max(latest_, ScanLeaf(bytes.first(total), 0));
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
      const uint16_t count = bolt::LoadLE16(buf_.data() + 10);
      if (total > kStreamAbove && count <= kMaxStreamedElements) {
        table_bytes_ = bolt::kPageHeaderSize + count * bolt::kElementSize;
      } else {
        buf_.reserve(total);
        NoteHeld();
      }
      continue;
    }
    if (streaming_) {
      bytes = Stream(bytes);
      continue;
    }
    const uint64_t want = table_bytes_ != 0 ? table_bytes_ : page_bytes_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(want - buf_.size(), bytes.size()));
    buf_.insert(buf_.end(), bytes.begin(), bytes.begin() + static_cast<long>(n));
    bytes = bytes.subspan(n);
    NoteHeld();
    if (buf_.size() < want) return;
    if (table_bytes_ != 0) {
      table_bytes_ = 0;
      if (!StartStream()) {
        buf_.reserve(page_bytes_);
        NoteHeld();
      }
      continue;
    }
    latest_ = std::max(latest_, ScanLeaf(buf_, 0));
    buf_.clear();
    if (buf_.capacity() > (uint64_t{1} << 20)) buf_.shrink_to_fit();  // after a large page
    page_bytes_ = 0;
  }
}

}  // namespace etcdsnap::etcd
