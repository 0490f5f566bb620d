// RevisionScanner: the latest revision of an etcd backend read from its bytes as they stream by
// (a snapshot being saved, compressed or sent to stdout), without the file and in flat memory.
//
// bbolt pages arrive in file order, not tree order, so the scanner does not walk the tree: it
// reads every leaf page (and every inline bucket in one) and keeps the largest revision among
// elements that are `key` bucket entries: a 17-byte revision key whose value decodes as an
// mvccpb.KeyValue with that mod revision, an 18-byte deletion whose value decodes as one, or a
// 17-byte key with an empty value (restore's --bump-revision marker). Pages that are free or
// stale hold older revisions only (etcd's revisions never go back), so the maximum over all
// pages is the store's revision. A page counts only where its header names its own position
// (a free page left in the middle of an old overflow run holds stale bytes there; it is
// stepped over one page at a time). Memory: one logical page (a page with its overflow), up to
// kMaxPageBytes; a larger one is skipped. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace etcdsnap::etcd {

class RevisionScanner {
 public:
  static constexpr uint64_t kMaxPageBytes = uint64_t{64} << 20;

  // The next bytes of the file (any chunking).
  void Add(std::span<const uint8_t> bytes);
  // The largest revision seen so far (0: none, or the file is not bbolt).
  int64_t latest() const { return latest_; }
  // Leaf pages skipped because they were larger than kMaxPageBytes.
  uint64_t skipped_pages() const { return skipped_; }

 private:
  struct Header {
    uint64_t pages;  // the page and its overflow
    bool leaf;
  };
  // The header of the page at next_id_ (kPageHeaderSize bytes).
  Header ReadHeader(const uint8_t* header) const;
  void ScanLeaf(std::span<const uint8_t> page, int depth);

  uint32_t page_size_ = 0;  // from meta page 0; 0 until known
  bool dead_ = false;       // not a bbolt file: stop
  std::vector<uint8_t> buf_;  // the current logical page, or the first bytes until the meta
  uint64_t page_bytes_ = 0;   // size of the current logical page (0: read its header first)
  uint64_t skip_ = 0;         // bytes of the current page still to skip
  uint64_t next_id_ = 0;      // the id of the page whose header comes next
  int64_t latest_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace etcdsnap::etcd
