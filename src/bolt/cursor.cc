#include "etcdsnap/bolt/cursor.h"

#include <algorithm>

namespace etcdsnap::bolt {

Cursor::Cursor(const File& file, Pgid root)
    : file_(file), root_(root), max_held_bytes_(DefaultMaxHeldBytes(file)) {}

Cursor::Cursor(const File& file, Bytes inline_page, std::string label)
    : file_(file),
      inline_page_(inline_page.begin(), inline_page.end()),
      label_(std::move(label)),
      is_inline_(true),
      max_held_bytes_(DefaultMaxHeldBytes(file)) {}

uint64_t Cursor::DefaultMaxHeldBytes(const File& file) { return 2 * file.max_page_bytes(); }

Status Cursor::Problem(Status problem) {
  if (observer_ == nullptr) return problem;
  observer_->OnError(problem);
  return Status::Ok();
}

bool Cursor::Push(Pgid id, Status* fatal) {
  const std::string where = "page " + std::to_string(id) + ": ";
  if (depth_ >= kMaxDepth) {
    *fatal = Problem(Status::Corruption(where + "tree deeper than " + std::to_string(kMaxDepth) +
                                        " levels (a cycle?)"));
    return false;
  }
  if (observer_ == nullptr) {
    // A page on the stack already (or inside one's overflow): a cycle, stopped before any read.
    // (An observer sees every page and vetoes pages it has seen.)
    for (size_t i = 0; i < depth_; ++i) {
      const Frame& a = frames_[i];
      if (id >= a.id && id - a.id <= a.view.header().overflow) {
        *fatal = Status::Corruption(where + "a branch element points back at page " +
                                    std::to_string(a.id) + ", its own ancestor (a cycle)");
        return false;
      }
    }
    // A tree reaches each page once: more reads than the file has pages means shared subtrees
    // or a cycle, which could otherwise make the walk exponential.
    if (++pages_read_ > file_.high_water()) {
      *fatal = Status::Corruption(where +
                                  "reached more pages than the file holds (a page is referenced "
                                  "more than once)");
      return false;
    }
  }
  if (frames_.size() <= depth_) frames_.resize(depth_ + 1);
  Frame& f = frames_[depth_];
  Result<PageHeader> h = file_.ReadPageBytes(id, &f.buf);
  if (!h.ok()) {
    *fatal = Problem(h.status());
    return false;
  }
  if (Status held = CheckHeld(id); !held.ok()) {
    *fatal = Problem(std::move(held));
    return false;
  }
  if (observer_ != nullptr && !observer_->OnPage(id, *h)) return false;
  Result<PageView> v = PageView::Parse(f.buf);
  if (!v.ok()) {
    *fatal = Problem(v.status().Annotate("page " + std::to_string(id)));
    return false;
  }
  if (!v->is_leaf() && !v->is_branch()) {
    *fatal = Problem(
        Status::Corruption(where + "invalid type: " + WrongTypeName(h->flags, "branch or leaf")));
    return false;
  }
  // bbolt's cursor reads element 0 of a branch whatever its count.
  if (v->is_branch() && v->count() == 0) {
    *fatal = Problem(Status::Corruption(where + "branch page has no elements"));
    return false;
  }
  f.id = id;
  f.view = *v;
  f.index = 0;
  f.has_lo = f.has_hi = false;
  ++depth_;
  return true;
}

Status Cursor::CheckHeld(Pgid id) {
  // The cap is on the bytes of the pages on the path, whatever was walked before: a cursor over
  // part of a tree (a split walk's half) fails exactly where a cursor over all of it does. The
  // buffers may be larger, by what earlier pages at their depth left (up to kKeepBufferBytes a
  // level); over the cap, the dead frames' buffers go and the new page's is trimmed.
  uint64_t path = 0;
  for (size_t i = 0; i <= depth_; ++i) path += frames_[i].buf.size();
  auto held = [&] {
    uint64_t n = 0;
    for (const Frame& f : frames_) n += f.buf.capacity();
    return n;
  };
  uint64_t n = held();
  if (n > max_held_bytes_) {
    for (size_t i = depth_ + 1; i < frames_.size(); ++i)
      std::vector<uint8_t>().swap(frames_[i].buf);
    frames_[depth_].buf.shrink_to_fit();  // not parsed yet: no view points into it
    n = held();
  }
  peak_held_bytes_ = std::max(peak_held_bytes_, n);
  if (path <= max_held_bytes_) return Status::Ok();
  std::vector<uint8_t>().swap(frames_[depth_].buf);
  return Status::Corruption("page " + std::to_string(id) + ": the pages on the path to it (" +
                            std::to_string(depth_ + 1) + " levels) hold " + std::to_string(path) +
                            " bytes, more than the " + std::to_string(max_held_bytes_) +
                            "-byte cap of a tree walk");
}

bool Cursor::PushChild(Status* fatal) {
  const Frame& parent = frames_[depth_ - 1];
  const uint16_t i = static_cast<uint16_t>(parent.index);
  const BranchElement el = parent.view.branch(i);
  Bytes hi = parent.hi;
  bool has_hi = parent.has_hi;
  if (i + 1 < parent.view.count()) {
    hi = parent.view.branch(static_cast<uint16_t>(i + 1)).key;
    has_hi = true;
  }
  if (!Push(el.child, fatal)) return false;
  Frame& child = frames_[depth_ - 1];
  child.lo = el.key;
  child.has_lo = true;
  child.hi = hi;
  child.has_hi = has_hi;
  return true;
}

Status Cursor::CheckRange(Bytes key) {
  const Frame& f = frames_[depth_ - 1];
  const bool below = f.has_lo && CompareKeys(View(key), View(f.lo)) < 0;
  const bool above = f.has_hi && CompareKeys(View(key), View(f.hi)) >= 0;
  if (!below && !above) return Status::Ok();
  return Problem(Status::Corruption(
      "page " + std::to_string(f.id) + ": key " + Quote(View(key)) +
      (below ? " is less than the key " + Quote(View(f.lo)) + " its parent branch element holds"
             : " is not less than the key " + Quote(View(f.hi)) + " of the next branch element")));
}

bool Cursor::PushInline(Status* fatal) {
  Result<PageView> v = PageView::Parse(inline_page_);
  if (!v.ok()) {
    *fatal = Problem(v.status().Annotate(label_));
    return false;
  }
  if (!v->is_leaf()) {
    *fatal = Problem(Status::Corruption(label_ + ": an inline page must be a leaf; its type is " +
                                        WrongTypeName(v->header().flags, "leaf")));
    return false;
  }
  if (frames_.empty()) frames_.resize(1);
  frames_[0].id = 0;
  frames_[0].view = *v;
  frames_[0].index = 0;
  frames_[0].has_lo = frames_[0].has_hi = false;
  depth_ = 1;
  return true;
}

Status Cursor::First() {
  depth_ = 0;
  pages_read_ = 0;
  valid_ = false;
  have_previous_ = false;
  Status fatal;
  const bool pushed = is_inline_ ? PushInline(&fatal) : Push(root_, &fatal);
  if (!pushed) return fatal;
  frames_[0].index = root_begin_;
  return Settle();
}

Status Cursor::Next() {
  if (!valid_) return Status::Ok();
  frames_[depth_ - 1].index++;
  return Settle();
}

Status Cursor::Settle() {
  valid_ = false;
  while (depth_ > 0) {
    Frame& f = frames_[depth_ - 1];
    const uint32_t end = depth_ == 1 ? std::min<uint32_t>(f.view.count(), root_end_) : f.view.count();
    if (f.index >= end) {
      // A popped frame keeps its buffer for the next page at its depth, unless it is large.
      if (f.buf.capacity() > kKeepBufferBytes) std::vector<uint8_t>().swap(f.buf);
      --depth_;
      if (depth_ > 0) frames_[depth_ - 1].index++;
      continue;
    }
    if (f.view.is_leaf()) {
      current_ = f.view.leaf(static_cast<uint16_t>(f.index));
      if (check_order_ && (f.has_lo || f.has_hi))
        ETCDSNAP_RETURN_IF_ERROR(CheckRange(current_.key));
      if (check_order_ && have_previous_ && CompareKeys(View(current_.key), previous_key_) <= 0) {
        const std::string where = is_inline_ ? label_ : "page " + std::to_string(f.id);
        Status s = Problem(Status::Corruption(where + ": key " + Quote(View(current_.key)) +
                                              " is not greater than the previous key " +
                                              Quote(previous_key_)));
        if (!s.ok()) return s;
      }
      previous_key_.assign(reinterpret_cast<const char*>(current_.key.data()), current_.key.size());
      have_previous_ = true;
      valid_ = true;
      return Status::Ok();
    }
    if (is_inline_) {  // inline pages hold no child pointers; PushInline admits leaves only
      --depth_;
      continue;
    }
    if (check_order_ && (f.has_lo || f.has_hi)) {
      ETCDSNAP_RETURN_IF_ERROR(CheckRange(f.view.branch(static_cast<uint16_t>(f.index)).key));
    }
    Status fatal;
    if (!PushChild(&fatal)) {
      if (!fatal.ok()) return fatal;
      frames_[depth_ - 1].index++;  // skipped: reported to the observer, or vetoed by it
    }
  }
  return Status::Ok();
}

}  // namespace etcdsnap::bolt
