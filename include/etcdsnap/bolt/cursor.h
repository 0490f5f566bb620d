// Cursor: walks one bucket's key/value pairs in key order, iteratively (a stack of pages, no
// recursion), reading pages through a File. Buckets are either a page tree (root != 0) or an
// inline page image carried in the parent's value; both are handled.
//
// Without an observer, the first problem met (a page out of bounds, a bad element, a page whose
// flags are not exactly branch or leaf, a branch with no elements, keys out of order or outside
// the range their parent branch element gives, a branch pointing at an ancestor, a tree deeper
// than kMaxDepth, more page reads than the file has pages) stops the walk with a Corruption
// status. With a PageObserver (how Check() uses it), problems are
// reported to the observer and the offending subtree is skipped, so a walk over a damaged file
// still visits everything it can; the observer may also veto descending into a page (to stop at
// pages already seen: cycles).
//
// Memory: the pages on the current root-to-leaf path, at most max_held_bytes() of page bytes on
// the path (by default twice the File's max_page_bytes); a walk whose path would hold more stops
// with an error. Each frame's buffer may keep up to 1 MiB of capacity beyond its page for reuse
// (larger ones are freed when popped), so a cursor holds at most max_held_bytes() plus 1 MiB per
// level (kMaxDepth levels).
//
// key() and value() stay valid until the next call to First() or Next(). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/format.h"
#include "etcdsnap/bolt/page.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

// Sees every page a Cursor reads, and every problem it meets when one is installed.
class PageObserver {
 public:
  virtual ~PageObserver() = default;
  // Called once per page read from the file (never for inline pages), before its elements are
  // checked or used. Returning false skips the page and its subtree.
  virtual bool OnPage(Pgid id, const PageHeader& header) = 0;
  virtual void OnError(const Status& problem) = 0;
};

class Cursor {
 public:
  // Trees deeper than this are reported as corrupt (real trees are a handful of levels).
  static constexpr size_t kMaxDepth = 64;

  // A bucket whose root is page `root`.
  Cursor(const File& file, Pgid root);
  // An inline bucket: `page` is the page image that follows the bucket header (copied).
  Cursor(const File& file, Bytes inline_page, std::string label);

  void set_observer(PageObserver* observer) { observer_ = observer; }
  // Report keys that are not strictly increasing (on by default).
  void set_check_order(bool on) { check_order_ = on; }
  // Walk only elements [begin, end) of the root page (a branch's children, a leaf's pairs): two
  // cursors over [0, m) and [m, count) of one root see the bucket's pairs in two key ranges,
  // each checked against the bounds its branch elements give, as a whole walk checks them.
  // Elements past the root's count are not there: an end past it means "to the end".
  void set_root_range(uint32_t begin, uint32_t end) {
    root_begin_ = begin;
    root_end_ = end;
  }
  // The cap on the bytes of page buffers held across the stack of frames.
  void set_max_held_bytes(uint64_t n) { max_held_bytes_ = n; }
  uint64_t max_held_bytes() const { return max_held_bytes_; }
  // The most bytes of page buffers held at once so far (after each read).
  uint64_t peak_held_bytes() const { return peak_held_bytes_; }

  Status First();
  Status Next();
  bool Valid() const { return valid_; }
  Bytes key() const { return current_.key; }
  // The last key the walk returned (valid after the end too), or null before the first.
  const std::string* last_key() const { return have_previous_ ? &previous_key_ : nullptr; }
  Bytes value() const { return current_.value; }
  uint32_t flags() const { return current_.flags; }
  bool IsBucket() const { return current_.is_bucket(); }
  // The page holding the current element (0 for an inline bucket).
  Pgid page_id() const { return depth_ > 0 ? frames_[depth_ - 1].id : 0; }

 private:
  struct Frame {
    Pgid id = 0;
    std::vector<uint8_t> buf;
    PageView view;
    uint32_t index = 0;
    // The key range [lo, hi) the parent branch element gives this page's keys (bbolt's
    // search relies on it); unbounded at the root.
    Bytes lo, hi;
    bool has_lo = false, has_hi = false;
  };

  static constexpr uint64_t kKeepBufferBytes = uint64_t{1} << 20;
  static uint64_t DefaultMaxHeldBytes(const File& file);

  // After page `id` was read into frames_[depth_]: the bytes held across frames against the
  // cap (dead frames' buffers are dropped first).
  Status CheckHeld(Pgid id);
  // Reads page `id` into a new top frame. Returns true when the frame was pushed; false when it
  // was skipped (with the problem already handed to the observer) or when the walk must stop
  // (*fatal set).
  bool Push(Pgid id, Status* fatal);
  // Pushes the child of the top (branch) frame's current element, with its key range.
  bool PushChild(Status* fatal);
  // Checks that `key` (element i of the top frame) lies in the frame's range.
  Status CheckRange(Bytes key);
  bool PushInline(Status* fatal);
  // Advances from the top frame's index to the next leaf element, or to the end.
  Status Settle();
  // Without an observer: returns the problem. With one: reports it and returns Ok.
  Status Problem(Status problem);

  const File& file_;
  Pgid root_ = 0;
  std::vector<uint8_t> inline_page_;
  std::string label_;
  bool is_inline_ = false;
  PageObserver* observer_ = nullptr;
  bool check_order_ = true;
  uint32_t root_begin_ = 0;
  uint32_t root_end_ = UINT32_MAX;

  std::vector<Frame> frames_;  // frames_[0, depth_) are live; the rest keep their buffers
  size_t depth_ = 0;
  uint64_t pages_read_ = 0;
  uint64_t max_held_bytes_;
  uint64_t peak_held_bytes_ = 0;
  bool valid_ = false;
  LeafElement current_;
  std::string previous_key_;
  bool have_previous_ = false;
};

}  // namespace etcdsnap::bolt
