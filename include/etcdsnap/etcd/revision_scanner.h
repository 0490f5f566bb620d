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
// stepped over one page at a time).
//
// Memory: a leaf page of up to kStreamAbove bytes (with its overflow) is held whole and decoded
// in place. A larger one (values of a few hundred KiB: a page of two 256 KiB values is 516 KiB)
// is decoded as it streams by when its elements are few (kMaxStreamedElements) and laid out in
// order after the element table, as bbolt writes them: each element's key is kept, and its
// value goes through an incremental KeyValue decoder that accepts exactly what DecodeKeyValue
// accepts, so only the element table and an inline bucket's value (up to kStreamAbove) are
// held. Any other large page is held whole, up to kMaxPageBytes; a larger one is skipped.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace etcdsnap::etcd {

class RevisionScanner {
 public:
  static constexpr uint64_t kMaxPageBytes = uint64_t{64} << 20;
  static constexpr uint64_t kStreamAbove = uint64_t{64} << 10;
  static constexpr uint32_t kMaxStreamedElements = 256;

  // The next bytes of the file (any chunking).
  void Add(std::span<const uint8_t> bytes);
  // The largest revision seen so far (0: none, or the file is not bbolt).
  int64_t latest() const { return latest_; }
  // Leaf pages skipped because they were larger than kMaxPageBytes.
  uint64_t skipped_pages() const { return skipped_; }
  // The most bytes held at once to decode a page (buffers' capacities), for the memory tests.
  uint64_t peak_held_bytes() const { return peak_held_; }

 private:
  struct Header {
    uint64_t pages;  // the page and its overflow
    bool leaf;
  };
  // The header of the page at next_id_ (kPageHeaderSize bytes).
  Header ReadHeader(const uint8_t* header) const;
  // The largest revision among a leaf page's entries (0: none).
  int64_t ScanLeaf(std::span<const uint8_t> page, int depth);
  // A large leaf page streamed: StartStream reads the element table held in buf_ (false: the
  // page is not laid out for it, hold it whole); Stream takes the page's next bytes and returns
  // those past its end.
  bool StartStream();
  std::span<const uint8_t> Stream(std::span<const uint8_t> bytes);
  void FinishStreamedElements();
  void NoteHeld();

  // An element of a streamed page that can hold a revision: a 17/18-byte key (its value
  // decoded as it goes by) or an inline bucket (its value kept).
  struct StreamedElement {
    uint64_t begin;     // the key's offset in the logical page
    uint64_t value_at;  // the value's
    uint64_t end;       // past the value
    bool bucket;
  };
  // The decoder of a KeyValue's bytes in pieces, with DecodeKeyValue's rules.
  class KeyValueStream {
   public:
    explicit KeyValueStream(uint64_t size = 0) : left_(size) {}
    void Feed(std::span<const uint8_t> bytes);
    // After the whole value: it decoded, with a non-empty key, and its mod revision.
    bool ok() const { return !bad_ && state_ == State::kTag && shift_ == 0 && left_ == 0; }
    bool has_key() const { return has_key_; }
    int64_t mod_revision() const { return mod_; }

   private:
    enum class State { kTag, kVarint, kLength, kSkip };
    bool VarintByte(uint8_t byte, bool* done);
    State state_ = State::kTag;
    uint64_t left_;      // bytes of the value not fed yet
    uint64_t acc_ = 0;   // the varint being read
    int shift_ = 0;
    uint64_t field_ = 0;
    uint64_t skip_ = 0;  // bytes of a field's contents still to skip
    bool bad_ = false;
    bool has_key_ = false;
    int64_t mod_ = 0;
  };

  uint32_t page_size_ = 0;  // from meta page 0; 0 until known
  bool dead_ = false;       // not a bbolt file: stop
  std::vector<uint8_t> buf_;  // the current logical page, or the first bytes until the meta
  uint64_t page_bytes_ = 0;   // size of the current logical page (0: read its header first)
  uint64_t skip_ = 0;         // bytes of the current page still to skip
  uint64_t next_id_ = 0;      // the id of the page whose header comes next
  uint64_t table_bytes_ = 0;  // a large page's header and element table, to read first (0: none)
  bool streaming_ = false;    // the current page is being streamed
  uint64_t stream_pos_ = 0;   // its bytes consumed
  std::vector<StreamedElement> elements_;
  size_t element_ = 0;             // the element being read
  std::vector<uint8_t> capture_;   // its key, or an inline bucket's value
  KeyValueStream kv_;              // its value, decoded
  uint64_t peak_held_ = 0;
  int64_t page_latest_ = 0;  // a streamed page's largest revision so far
  int64_t latest_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace etcdsnap::etcd
