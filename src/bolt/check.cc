#include "etcdsnap/bolt/check.h"

#include <memory>
#include <system_error>
#include <thread>

#include "etcdsnap/bolt/bitset.h"
#include "etcdsnap/bolt/cursor.h"
#include "etcdsnap/bolt/freelist.h"

namespace etcdsnap::bolt {
namespace {

// Buckets nested deeper than this are reported, not followed (etcd nests none).
constexpr size_t kMaxBucketDepth = 64;

std::string PageMsg(uint64_t id, const std::string& what) {
  return "page " + std::to_string(id) + ": " + what;
}

class Checker : public PageObserver {
 public:
  // The walk of the whole file, feeding `visitor`; `splittable` (the visitor too, or null)
  // lets it split one bucket over two threads.
  Checker(const File& file, const CheckOptions& options, EntryVisitor* visitor,
          SplittableVisitor* splittable)
      : file_(file),
        options_(options),
        visitor_(visitor),
        splittable_(splittable),
        hwm_(file.high_water()),
        reachable_(hwm_),
        own_freed_(hwm_),
        freed_(own_freed_) {}

  // The walk of a split bucket's later half: its own bitset, figures and visitor; the
  // parent's freelist, read only (the parent loaded it before any split).
  Checker(const Checker& parent, EntryVisitor* visitor)
      : file_(parent.file_),
        options_(parent.options_),
        visitor_(visitor),
        splittable_(nullptr),
        hwm_(parent.hwm_),
        reachable_(hwm_),
        freed_(parent.freed_) {}

  // Whether a bucket was split, and whether the split walk met anything that its merged
  // result would not report as the single walk does (a page reached from both halves).
  bool split() const { return split_; }
  bool split_failed() const { return split_failed_; }

  CheckResult Run() {
    result_.high_water = hwm_;
    result_.freelist_persisted = file_.meta().freelist != kNoFreelist;
    if (result_.freelist_persisted) LoadFreelist();
    reachable_.Set(0);
    reachable_.Set(1);
    if (result_.freelist_persisted && freelist_header_.id == file_.meta().freelist) {
      for (uint64_t i = 0; i <= freelist_header_.overflow; ++i) {
        reachable_.Set(file_.meta().freelist + i);
      }
    }
    auto root = std::make_unique<Cursor>(file_, file_.meta().root);
    WalkBuckets(std::move(root), 0);
    result_.reachable_pages = reachable_.Count();
    if (result_.freelist_persisted) {
      for (uint64_t i = 0; i < hwm_; ++i) {
        if (reachable_.Test(i) || freed_.Test(i)) continue;
        if (result_.errors.size() >= options_.max_errors) {
          ++result_.error_count;  // no message to build past the cap: huge files stay fast
          continue;
        }
        Error(PageMsg(i, "unreachable unfreed"));
      }
      result_.free_pages = freed_.Count();
    } else {
      result_.free_pages = hwm_ - result_.reachable_pages;
    }
    return std::move(result_);
  }

  // The page's type and elements are the Cursor's to check (it reports them through OnError).
  bool OnPage(Pgid id, const PageHeader& h) override {
    if (skip_first_page_) {  // a later half's root: the first half marks and checks it
      skip_first_page_ = false;
      return true;
    }
    // File::ReadPage already refused pages at or past the high-water mark.
    const bool seen = reachable_.Test(id);
    for (uint64_t i = 0; i <= h.overflow; ++i) {
      if (reachable_.Test(id + i)) Error(PageMsg(id + i, "multiple references"));
      reachable_.Set(id + i);
    }
    if (seen) return false;  // a cycle or a shared subtree: walk it once
    if (freed_.Test(id)) Error(PageMsg(id, "reachable freed"));
    return true;
  }

  void OnError(const Status& problem) override { Error(problem.message()); }

 private:
  void Error(std::string message) {
    ++result_.error_count;
    if (result_.errors.size() < options_.max_errors) result_.errors.push_back(std::move(message));
  }

  struct Half;

  void LoadFreelist() {
    const Pgid fl = file_.meta().freelist;
    Result<PageHeader> h = ForEachFreelistId(file_, fl, [&](Pgid id) {
      if (id < 2 || id >= hwm_) {
        Error(PageMsg(
            id, "freelist entry out of bounds (high-water mark " + std::to_string(hwm_) + ")"));
        return;
      }
      if (own_freed_.Test(id)) Error(PageMsg(id, "already freed"));
      own_freed_.Set(id);
    });
    if (!h.ok()) {
      Error(h.status().message());
      return;
    }
    freelist_header_ = *h;
  }

  // A stack of cursors, one per open bucket: depth-first, so each bucket's pairs reach the
  // visitor in key order with its sub-buckets right after their entries. `first` is the
  // bucket at `base_depth` the walk starts with (the root bucket at 0, or the later half of
  // a split bucket at 1, which its parent walk counts).
  void WalkBuckets(std::unique_ptr<Cursor> first, size_t base_depth) {
    struct Level {
      std::unique_ptr<Cursor> cursor;
      bool started = false;
      std::unique_ptr<Half> half;  // the later half of this bucket, walking on another thread
    };
    std::vector<Level> stack;
    auto open = [&](std::unique_ptr<Cursor> c, std::unique_ptr<Half> half) {
      c->set_observer(this);
      stack.push_back(Level{std::move(c), false, std::move(half)});
      ++result_.buckets;
    };
    open(std::move(first), nullptr);
    if (base_depth > 0) --result_.buckets;  // the parent counts the bucket it split
    while (!stack.empty()) {
      Level& level = stack.back();
      Status s = level.started ? level.cursor->Next() : level.cursor->First();
      level.started = true;
      if (!s.ok()) Error(s.message());  // unreachable with an observer; kept for safety
      if (!s.ok() || !level.cursor->Valid()) {
        if (level.half != nullptr) {  // the earlier half is done
          JoinHalf(*level.half, level.cursor->last_key());
        }
        stack.pop_back();
        continue;
      }
      const Cursor& c = *level.cursor;
      const size_t depth = base_depth + stack.size() - 1;
      if (base_depth > 0 && stack.size() == 1 && !has_first_key_) {
        first_key_ = View(c.key());  // a later half's first key, for JoinHalf's order check
        has_first_key_ = true;
      }
      if (visitor_ != nullptr) visitor_->OnEntry(Entry{depth, c.key(), c.value(), c.IsBucket()});
      if (!c.IsBucket()) {
        ++result_.keys;
        continue;
      }
      OpenChild(c, depth, open);
    }
  }

  template <typename OpenFn>
  void OpenChild(const Cursor& c, size_t depth, OpenFn& open) {
    const std::string where = PageMsg(c.page_id(), "bucket " + Quote(View(c.key())));
    Result<BucketHeader> b = DecodeBucketHeader(c.value());
    if (!b.ok()) {
      Error(where + ": " + b.status().message());
      return;
    }
    if (depth + 1 >= kMaxBucketDepth) {
      Error(where + ": buckets nested more than " + std::to_string(kMaxBucketDepth) + " deep");
      return;
    }
    if (b->root != 0) {
      if (depth == 0 && splittable_ != nullptr && splittable_->CanSplit(c.key()) &&
          Split(b->root, open)) {
        return;
      }
      open(std::make_unique<Cursor>(file_, b->root), nullptr);
      return;
    }
    ++result_.inline_buckets;
    open(std::make_unique<Cursor>(file_, b->inline_page, where + " (inline)"), nullptr);
  }

  // A split bucket's later half: the root's children [m, count), walked on its own thread.
  struct Half {
    std::unique_ptr<SplittableVisitor> visitor;
    std::unique_ptr<Checker> checker;
    std::jthread thread;
  };

  // Opens the bucket whose root is `root` as two halves of its root's children when the root
  // is a branch of two children or more (false, and nothing opened, otherwise). The root is
  // read once more here, unchecked: a page that cannot be read or parsed is left to the normal
  // walk to report.
  template <typename OpenFn>
  bool Split(Pgid root, OpenFn& open) {
    std::vector<uint8_t> buf;  // freed on return: a root may be a large page
    Result<PageView> page = file_.ReadPage(root, &buf);
    if (!page.ok() || !page->is_branch() || page->count() < 2) return false;
    const uint32_t count = page->count(), m = count / 2;
    auto later = std::make_unique<Cursor>(file_, root);
    later->set_root_range(m, count);
    auto half = std::make_unique<Half>();
    half->visitor = splittable_->Fork();
    half->checker = std::make_unique<Checker>(*this, half->visitor.get());
    half->checker->skip_first_page_ = true;
    try {
      half->thread = std::jthread([checker = half->checker.get(), c = std::move(later)]() mutable {
        checker->WalkBuckets(std::move(c), 1);
      });
    } catch (const std::system_error&) {
      return false;  // no thread to be had (a pids limit, RLIMIT_NPROC): the one-thread walk
    }
    auto earlier = std::make_unique<Cursor>(file_, root);
    earlier->set_root_range(0, m);
    open(std::move(earlier), std::move(half));
    split_ = true;
    return true;
  }

  // Folds the later half in, once this thread has walked the earlier one (whose last key is
  // `last`): its pages, counts and visitor. What the single walk would have reported and the
  // halves could not see marks the split failed: a page both reached, and the one pair of
  // keys the halves do not compare, the earlier's last and the later's first (their branch
  // bounds keep them in order, unless the root's own keys are out of order).
  void JoinHalf(Half& half, const std::string* last) {
    half.thread.join();
    const Checker& other = *half.checker;
    if (reachable_.Merge(other.reachable_) || other.result_.error_count > 0) split_failed_ = true;
    if (last != nullptr && other.has_first_key_ && CompareKeys(*last, other.first_key_) >= 0) {
      split_failed_ = true;
    }
    result_.buckets += other.result_.buckets;
    result_.inline_buckets += other.result_.inline_buckets;
    result_.keys += other.result_.keys;
    splittable_->Join(*half.visitor);
  }

  const File& file_;
  const CheckOptions& options_;
  EntryVisitor* const visitor_;
  SplittableVisitor* const splittable_;
  const Pgid hwm_;
  Bitset reachable_;
  Bitset own_freed_;  // empty in a later half, which reads its parent's
  const Bitset& freed_;
  PageHeader freelist_header_;
  CheckResult result_;
  bool skip_first_page_ = false;
  std::string first_key_;  // a later half's first key
  bool has_first_key_ = false;
  bool split_ = false;
  bool split_failed_ = false;
};

}  // namespace

CheckResult Check(const File& file, const CheckOptions& options) {
  SplittableVisitor* const split = options.parallel_visitor;
  if (split == nullptr) return Checker(file, options, options.visitor, nullptr).Run();
  Checker parallel(file, options, split, split);
  CheckResult result = parallel.Run();
  if (!parallel.split()) return result;  // nothing split: this was the single walk
  result.walked_split = true;
  if (result.ok() && !parallel.split_failed()) return result;
  // Something is wrong: the one reference walk reports it, with the messages, order and
  // count a walk on one thread gives.
  split->Reset();
  result = Checker(file, options, split, nullptr).Run();
  result.walked_split = result.rewalked = true;
  return result;
}

}  // namespace etcdsnap::bolt
