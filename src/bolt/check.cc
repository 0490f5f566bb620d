#include "etcdsnap/bolt/check.h"

#include <memory>

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
  Checker(const File& file, const CheckOptions& options)
      : file_(file), options_(options), hwm_(file.high_water()), reachable_(hwm_), freed_(hwm_) {}

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
    WalkBuckets();
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

  void LoadFreelist() {
    const Pgid fl = file_.meta().freelist;
    Result<PageHeader> h = ForEachFreelistId(file_, fl, [&](Pgid id) {
      if (id < 2 || id >= hwm_) {
        Error(PageMsg(
            id, "freelist entry out of bounds (high-water mark " + std::to_string(hwm_) + ")"));
        return;
      }
      if (freed_.Test(id)) Error(PageMsg(id, "already freed"));
      freed_.Set(id);
    });
    if (!h.ok()) {
      Error(h.status().message());
      return;
    }
    freelist_header_ = *h;
  }

  // A stack of cursors, one per open bucket: depth-first, so each bucket's pairs reach the
  // visitor in key order with its sub-buckets right after their entries.
  void WalkBuckets() {
    struct Level {
      std::unique_ptr<Cursor> cursor;
      bool started = false;
    };
    std::vector<Level> stack;
    auto open = [&](std::unique_ptr<Cursor> c) {
      c->set_observer(this);
      stack.push_back(Level{std::move(c), false});
      ++result_.buckets;
    };
    open(std::make_unique<Cursor>(file_, file_.meta().root));
    while (!stack.empty()) {
      Level& level = stack.back();
      Status s = level.started ? level.cursor->Next() : level.cursor->First();
      level.started = true;
      if (!s.ok()) Error(s.message());  // unreachable with an observer; kept for safety
      if (!s.ok() || !level.cursor->Valid()) {
        stack.pop_back();
        continue;
      }
      const Cursor& c = *level.cursor;
      const size_t depth = stack.size() - 1;
      if (options_.visitor != nullptr) {
        options_.visitor->OnEntry(Entry{depth, c.key(), c.value(), c.IsBucket()});
      }
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
      open(std::make_unique<Cursor>(file_, b->root));
      return;
    }
    ++result_.inline_buckets;
    open(std::make_unique<Cursor>(file_, b->inline_page, where + " (inline)"));
  }

  const File& file_;
  const CheckOptions& options_;
  const Pgid hwm_;
  Bitset reachable_;
  Bitset freed_;
  PageHeader freelist_header_;
  CheckResult result_;
};

}  // namespace

CheckResult Check(const File& file, const CheckOptions& options) {
  return Checker(file, options).Run();
}

}  // namespace etcdsnap::bolt
