#include "etcdsnap/bolt/update_tx.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <unordered_set>
#include <vector>

#include "etcdsnap/bolt/bitset.h"
#include "etcdsnap/bolt/freelist.h"
#include "page_encoder.h"

namespace etcdsnap::bolt {
namespace {

constexpr size_t kMaxDepth = 64;

// A page read into memory to be changed (bbolt's node). Children that were read too hang
// below it, keyed by the page id its branch element names.
struct Node {
  Pgid pgid = 0;  // the page it was read from; 0 when new or read from an inline bucket
  uint32_t overflow = 0;
  bool leaf = true;
  std::vector<Inode> inodes;
  std::map<Pgid, std::unique_ptr<Node>> children;
};

// A bucket being edited: the root bucket, or a top-level bucket.
struct Tree {
  uint64_t sequence = 0;
  Pgid root_pgid = 0;          // its root page on disk (0: inline, or created by this tx)
  std::unique_ptr<Node> root;  // read on first write
  bool dirty = false;
};

// The branch element to follow for `key`: the last whose key is <= key, else the first.
size_t ChildIndex(const Node& n, std::string_view key) {
  auto it = std::upper_bound(
      n.inodes.begin(), n.inodes.end(), key,
      [](std::string_view k, const Inode& in) { return CompareKeys(k, in.key) < 0; });
  return it == n.inodes.begin() ? 0 : static_cast<size_t>(it - n.inodes.begin()) - 1;
}

// bbolt's node.write panics ("inode overflow") on a page of 0xFFFF elements or more.
Status CountFits(size_t elements) {
  if (elements < 0xFFFF) return Status::Ok();
  return Status::Unsupported("a page of " + std::to_string(elements) +
                             " elements: more than a page header can count (65534)");
}

Result<std::unique_ptr<Node>> NodeFromView(const PageView& v, Pgid pgid) {
  auto n = std::make_unique<Node>();
  n->pgid = pgid;
  n->overflow = v.header().overflow;
  n->leaf = v.is_leaf();
  if (!n->leaf && !v.is_branch()) {
    return Status::Corruption("page " + std::to_string(pgid) +
                              ": invalid type: " + PageTypeName(v.header().flags));
  }
  n->inodes.resize(v.count());
  for (uint16_t i = 0; i < v.count(); ++i) {
    Inode& in = n->inodes[i];
    if (n->leaf) {
      const LeafElement e = v.leaf(i);
      in.flags = e.flags;
      in.key.assign(View(e.key));
      in.value.assign(View(e.value));
    } else {
      const BranchElement e = v.branch(i);
      in.key.assign(View(e.key));
      in.child = e.child;
    }
  }
  if (!n->leaf && n->inodes.empty()) {
    return Status::Corruption("page " + std::to_string(pgid) + ": branch page has no elements");
  }
  return n;
}

}  // namespace

class UpdateTx::Impl {
 public:
  Impl(std::unique_ptr<File> file, UniqueFd fd, const UpdateOptions& o, CommitStats* stats)
      : file_(std::move(file)), fd_(std::move(fd)), options_(o), stats_(stats) {
    page_size_ = file_->page_size();
    meta_ = file_->meta();
    hwm_ = meta_.pgid;
    root_.root_pgid = meta_.root;
    threshold_ = static_cast<size_t>(static_cast<double>(page_size_) * options_.fill_percent);
    persist_ = options_.freelist == FreelistMode::kPersist || meta_.freelist != kNoFreelist;
  }

  const File& file() const { return *file_; }

  Status LoadFreeSet() {
    if (meta_.freelist != kNoFreelist) {
      Result<PageHeader> h =
          ForEachFreelistId(*file_, meta_.freelist, [this](Pgid id) { free_.push_back(id); });
      if (!h.ok()) return h.status();
      old_freelist_overflow_ = h->overflow;
      std::sort(free_.begin(), free_.end());
      for (size_t i = 0; i < free_.size(); ++i) {
        if (free_[i] < 2 || free_[i] >= hwm_) {
          return Status::Corruption("freelist lists page " + std::to_string(free_[i]) +
                                    ", outside [2, " + std::to_string(hwm_) + ")");
        }
        if (i > 0 && free_[i] == free_[i - 1]) {
          return Status::Corruption("page " + std::to_string(free_[i]) + ": already freed");
        }
      }
      return Status::Ok();
    }
    if (!persist_) return Status::Ok();  // NoFreelistSync kept: nothing to know
    // bbolt's freepages(): every page not reachable from the root bucket is free.
    Bitset reachable(hwm_);
    reachable.Set(0);
    reachable.Set(1);
    ETCDSNAP_RETURN_IF_ERROR(WalkPages(meta_.root, [&](Pgid id, uint32_t overflow) -> Status {
      for (uint64_t i = 0; i <= overflow; ++i) {
        if (reachable.Test(id + i)) {
          return Status::Corruption("page " + std::to_string(id + i) + ": multiple references");
        }
        reachable.Set(id + i);
      }
      return Status::Ok();
    }));
    for (Pgid id = 2; id < hwm_; ++id) {
      if (!reachable.Test(id)) free_.push_back(id);
    }
    return Status::Ok();
  }

  Status CreateBucketIfMissing(std::string_view name) {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    return OpenBucket(name, /*create=*/true).status();
  }

  Status ClearBucket(std::string_view name) {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    ETCDSNAP_ASSIGN_OR_RETURN(Tree * t, OpenBucket(name, /*create=*/true));
    if (t->root_pgid != 0) {
      // Free every page of the bucket as it is on disk (pages read for earlier puts included).
      std::unordered_set<Pgid> seen;
      ETCDSNAP_RETURN_IF_ERROR(WalkPages(t->root_pgid, [&](Pgid id, uint32_t overflow) -> Status {
        if (!seen.insert(id).second) {
          return Status::Corruption("page " + std::to_string(id) + ": multiple references");
        }
        Free(id, overflow);
        return Status::Ok();
      }));
      t->root_pgid = 0;
    }
    t->root = std::make_unique<Node>();
    t->dirty = true;
    return Status::Ok();
  }

  Status Put(std::string_view bucket, std::string_view key, std::string_view value) {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    ETCDSNAP_RETURN_IF_ERROR(CheckKeyValue(key, value.size()));
    ETCDSNAP_ASSIGN_OR_RETURN(Tree * t, OpenBucket(bucket, /*create=*/false));
    ETCDSNAP_ASSIGN_OR_RETURN(Node * leaf, DescendForWrite(*t, key));
    ETCDSNAP_RETURN_IF_ERROR(PutInLeaf(leaf, 0, key, value));
    t->dirty = true;
    return Status::Ok();
  }

  Result<std::optional<std::string>> Get(std::string_view bucket, std::string_view key) {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    ETCDSNAP_ASSIGN_OR_RETURN(Tree * t, OpenBucket(bucket, /*create=*/false));
    ETCDSNAP_ASSIGN_OR_RETURN(std::optional<Inode> in, Lookup(*t, key, /*last=*/false));
    if (!in || (in->flags & kBucketLeafFlag) != 0) return std::optional<std::string>();
    return std::optional<std::string>(std::move(in->value));
  }

  Result<std::optional<std::string>> LastKey(std::string_view bucket) {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    ETCDSNAP_ASSIGN_OR_RETURN(Tree * t, OpenBucket(bucket, /*create=*/false));
    ETCDSNAP_ASSIGN_OR_RETURN(std::optional<Inode> in, Lookup(*t, {}, /*last=*/true));
    if (!in) return std::optional<std::string>();
    return std::optional<std::string>(std::move(in->key));
  }

  Status Commit() {
    ETCDSNAP_RETURN_IF_ERROR(Usable());
    done_ = true;
    Status s = DoCommit();
    if (!s.ok()) return s.Annotate("commit to " + file_->path());
    return s;
  }

 private:
  Status Usable() const {
    if (done_) return Status::Internal("the transaction on " + file_->path() + " is finished");
    return Status::Ok();
  }

  // Calls on_page for every page of the tree at `root` and of the non-inline buckets below it,
  // depth first; stops at the first error.
  Status WalkPages(Pgid root, const std::function<Status(Pgid, uint32_t)>& on_page) {
    std::vector<std::pair<Pgid, size_t>> stack{{root, 0}};  // page, depth
    std::vector<uint8_t> buf;
    uint64_t visited = 0;
    while (!stack.empty()) {
      const auto [id, depth] = stack.back();
      stack.pop_back();
      if (depth > kMaxDepth || ++visited > hwm_) {
        return Status::Corruption("page " + std::to_string(id) +
                                  ": the tree is deeper or larger than the file (a cycle?)");
      }
      ETCDSNAP_ASSIGN_OR_RETURN(PageView v, file_->ReadPage(id, &buf));
      if (!v.is_leaf() && !v.is_branch()) {
        return Status::Corruption("page " + std::to_string(id) +
                                  ": invalid type: " + PageTypeName(v.header().flags));
      }
      ETCDSNAP_RETURN_IF_ERROR(on_page(id, v.header().overflow));
      for (uint16_t i = v.count(); i-- > 0;) {
        if (v.is_branch()) {
          stack.emplace_back(v.branch(i).child, depth + 1);
          continue;
        }
        const LeafElement e = v.leaf(i);
        if (!e.is_bucket()) continue;
        ETCDSNAP_ASSIGN_OR_RETURN(BucketHeader b, DecodeBucketHeader(e.value));
        if (b.root != 0) stack.emplace_back(b.root, depth + 1);
      }
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<Node>> ReadNode(Pgid id) {
    std::vector<uint8_t> buf;
    ETCDSNAP_ASSIGN_OR_RETURN(PageView v, file_->ReadPage(id, &buf));
    return NodeFromView(v, id);
  }

  // The tree of top-level bucket `name`, opened once per transaction.
  Result<Tree*> OpenBucket(std::string_view name, bool create) {
    auto it = buckets_.find(name);
    if (it != buckets_.end()) return &it->second;
    ETCDSNAP_RETURN_IF_ERROR(CheckKeyValue(name, 0).Annotate("bucket name"));
    ETCDSNAP_ASSIGN_OR_RETURN(std::optional<Inode> entry, Lookup(root_, name, false));
    Tree t;
    if (!entry) {
      if (!create) {
        return Status::NotFound("bucket " + Quote(name) + " not found in " + file_->path());
      }
      t.root = std::make_unique<Node>();
      t.dirty = true;
    } else {
      if ((entry->flags & kBucketLeafFlag) == 0) {
        return Status::InvalidArgument(Quote(name) + " in " + file_->path() +
                                       " is a key, not a bucket");
      }
      const Bytes value(reinterpret_cast<const uint8_t*>(entry->value.data()), entry->value.size());
      ETCDSNAP_ASSIGN_OR_RETURN(BucketHeader h, DecodeBucketHeader(value));
      t.sequence = h.sequence;
      t.root_pgid = h.root;
      if (h.root == 0) {
        ETCDSNAP_ASSIGN_OR_RETURN(PageView v, PageView::Parse(h.inline_page));
        if (!v.is_leaf()) {
          return Status::Corruption("bucket " + Quote(name) + ": inline page is not a leaf");
        }
        ETCDSNAP_ASSIGN_OR_RETURN(t.root, NodeFromView(v, 0));
      }
    }
    return &buckets_.emplace(std::string(name), std::move(t)).first->second;
  }

  // Reads (once) every page from the root of `t` to the leaf where `key` belongs.
  Result<Node*> DescendForWrite(Tree& t, std::string_view key) {
    if (!t.root) {
      ETCDSNAP_ASSIGN_OR_RETURN(t.root, ReadNode(t.root_pgid));
    }
    Node* n = t.root.get();
    for (size_t depth = 0; !n->leaf; ++depth) {
      if (depth >= kMaxDepth) {
        return Status::Corruption("page " + std::to_string(n->pgid) + ": tree deeper than " +
                                  std::to_string(kMaxDepth) + " levels (a cycle?)");
      }
      const Pgid child = n->inodes[ChildIndex(*n, key)].child;
      auto it = n->children.find(child);
      if (it == n->children.end()) {
        ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<Node> c, ReadNode(child));
        it = n->children.emplace(child, std::move(c)).first;
      }
      n = it->second.get();
    }
    return n;
  }

  // The element for `key` (or the last element), through this tx's nodes where it has them and
  // through pages read one at a time elsewhere. Reads nothing into the transaction.
  Result<std::optional<Inode>> Lookup(Tree& t, std::string_view key, bool last) {
    std::unique_ptr<Node> held;
    const Node* n = t.root.get();
    if (n == nullptr) {
      ETCDSNAP_ASSIGN_OR_RETURN(held, ReadNode(t.root_pgid));
      n = held.get();
    }
    for (size_t depth = 0; !n->leaf; ++depth) {
      if (depth >= kMaxDepth) {
        return Status::Corruption("page " + std::to_string(n->pgid) + ": tree deeper than " +
                                  std::to_string(kMaxDepth) + " levels (a cycle?)");
      }
      const Pgid child = n->inodes[last ? n->inodes.size() - 1 : ChildIndex(*n, key)].child;
      auto it = n->children.find(child);
      if (it != n->children.end()) {
        n = it->second.get();
        continue;
      }
      ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<Node> c, ReadNode(child));
      held = std::move(c);
      n = held.get();
    }
    if (last) {
      if (n->inodes.empty()) return std::optional<Inode>();
      return std::optional<Inode>(n->inodes.back());
    }
    auto it = std::lower_bound(
        n->inodes.begin(), n->inodes.end(), key,
        [](const Inode& in, std::string_view k) { return CompareKeys(in.key, k) < 0; });
    if (it == n->inodes.end() || it->key != key) return std::optional<Inode>();
    return std::optional<Inode>(*it);
  }

  static Status PutInLeaf(Node* leaf, uint32_t flags, std::string_view key,
                          std::string_view value) {
    auto it = std::lower_bound(
        leaf->inodes.begin(), leaf->inodes.end(), key,
        [](const Inode& in, std::string_view k) { return CompareKeys(in.key, k) < 0; });
    if (it != leaf->inodes.end() && it->key == key) {
      if ((it->flags & kBucketLeafFlag) != (flags & kBucketLeafFlag)) {
        return Status::InvalidArgument("key " + Quote(key) +
                                       ": incompatible value (a bucket and a key are not "
                                       "interchangeable)");
      }
      it->value.assign(value);
      return Status::Ok();
    }
    leaf->inodes.insert(it, Inode{flags, std::string(key), std::string(value), 0});
    return Status::Ok();
  }

  void Free(Pgid id, uint32_t overflow) {
    for (uint64_t i = 0; i <= overflow; ++i) pending_.push_back(id + i);
    stats_->pages_freed += uint64_t{overflow} + 1;
  }

  // bbolt's array freelist allocate(): the first run of `pages` consecutive free ids, else the
  // high-water mark. Pages freed by this transaction (pending_) are never handed out.
  Pgid Allocate(uint64_t pages) {
    Pgid initial = 0, previous = 0;
    for (size_t i = 0; i < free_.size(); ++i) {
      const Pgid id = free_[i];
      if (previous == 0 || id - previous != 1) initial = id;
      if (id - initial + 1 == pages) {
        free_.erase(free_.begin() + static_cast<ptrdiff_t>(i + 1 - pages),
                    free_.begin() + static_cast<ptrdiff_t>(i + 1));
        stats_->pages_reused += pages;
        return initial;
      }
      previous = id;
    }
    const Pgid id = hwm_;
    hwm_ += pages;
    return id;
  }

  // bbolt's splitTwo loop: the [begin, end) ranges of the pages `n` is written as.
  std::vector<std::pair<size_t, size_t>> SplitRanges(const Node& n) const {
    std::vector<std::pair<size_t, size_t>> parts;
    const size_t end = n.inodes.size();
    size_t begin = 0;
    while (true) {
      const size_t count = end - begin;
      if (count <= 2 * kMinKeysPerPage || NodeSize(n.inodes, begin, end, n.leaf) < page_size_) {
        parts.emplace_back(begin, end);
        return parts;
      }
      size_t size = kPageHeaderSize, index = 0;
      for (size_t i = 0; i < count - kMinKeysPerPage; ++i) {
        index = i;
        const size_t es = ElementSize(n.inodes[begin + i], n.leaf);
        if (i >= kMinKeysPerPage && size + es > threshold_) break;
        size += es;
      }
      parts.emplace_back(begin, begin + index);
      begin += index;
    }
  }

  // Writes `n` (children first) as new pages and frees its old page; returns the branch
  // elements that reference the new pages.
  Result<std::vector<Inode>> Spill(Node* n) {
    if (!n->leaf && !n->children.empty()) {
      std::vector<Inode> merged;
      merged.reserve(n->inodes.size() + n->children.size());
      for (Inode& in : n->inodes) {
        auto it = n->children.find(in.child);
        if (it == n->children.end()) {
          merged.push_back(std::move(in));
          continue;
        }
        std::unique_ptr<Node> child = std::move(it->second);
        n->children.erase(it);
        ETCDSNAP_ASSIGN_OR_RETURN(std::vector<Inode> refs, Spill(child.get()));
        for (Inode& r : refs) merged.push_back(std::move(r));
      }
      n->inodes = std::move(merged);
      n->children.clear();
    }
    if (n->pgid != 0) Free(n->pgid, n->overflow);
    std::vector<Inode> refs;
    for (const auto& [begin, end] : SplitRanges(*n)) {
      ETCDSNAP_RETURN_IF_ERROR(CountFits(end - begin));
      const size_t size = NodeSize(n->inodes, begin, end, n->leaf);
      const uint64_t pages = (size + page_size_ - 1) / page_size_;
      const Pgid id = Allocate(pages);
      dirty_[id] = EncodeNode(n->inodes, begin, end, n->leaf, id, page_size_);
      refs.push_back(Inode{0, begin < end ? n->inodes[begin].key : std::string(), {}, id});
    }
    return refs;
  }

  // Spills a whole tree, adding branch levels above a root that split. Returns the root page.
  Result<Pgid> SpillTree(Tree& t) {
    ETCDSNAP_ASSIGN_OR_RETURN(std::vector<Inode> refs, Spill(t.root.get()));
    while (refs.size() > 1) {
      Node parent;
      parent.leaf = false;
      parent.inodes = std::move(refs);
      ETCDSNAP_ASSIGN_OR_RETURN(refs, Spill(&parent));
    }
    t.root.reset();
    return refs.front().child;
  }

  // The new value of a bucket's entry in the root bucket: inline when bbolt would inline it.
  Result<std::string> FinishBucket(Tree& t) {
    const Node& r = *t.root;
    const bool inlineable = r.leaf && NodeSize(r.inodes, true) <= page_size_ / 4 &&
                            std::none_of(r.inodes.begin(), r.inodes.end(), [](const Inode& in) {
                              return (in.flags & kBucketLeafFlag) != 0;
                            });
    if (inlineable) {
      ETCDSNAP_RETURN_IF_ERROR(CountFits(r.inodes.size()));
      if (t.root_pgid != 0) Free(r.pgid, r.overflow);  // a leaf root: the whole old tree
      return EncodeBucketValue(0, t.sequence, EncodeNode(r.inodes, 0, r.inodes.size(), true, 0, 0));
    }
    ETCDSNAP_ASSIGN_OR_RETURN(Pgid root, SpillTree(t));
    return EncodeBucketValue(root, t.sequence, {});
  }

  Status WriteAt(uint64_t offset, const std::vector<uint8_t>& bytes) {
    return PwriteAll(fd_.get(), offset, bytes, file_->path());
  }
  Status Sync() {
    if (options_.sync && ::fdatasync(fd_.get()) != 0) {
      return Status::FromErrno("fsync " + file_->path(), errno);
    }
    return Status::Ok();
  }

  Status DoCommit() {
    Pgid root = meta_.root;
    bool root_dirty = false;
    for (auto& [name, t] : buckets_) {
      if (!t.dirty) continue;
      ETCDSNAP_ASSIGN_OR_RETURN(std::string value, FinishBucket(t));
      ETCDSNAP_ASSIGN_OR_RETURN(Node * leaf, DescendForWrite(root_, name));
      ETCDSNAP_RETURN_IF_ERROR(PutInLeaf(leaf, kBucketLeafFlag, name, value));
      root_dirty = true;
    }
    if (root_dirty) {
      ETCDSNAP_ASSIGN_OR_RETURN(root, SpillTree(root_));
    }
    Pgid freelist = kNoFreelist;
    if (persist_) {
      if (meta_.freelist != kNoFreelist) Free(meta_.freelist, old_freelist_overflow_);
      const uint64_t pages = FreelistBytes(free_.size() + pending_.size()) / page_size_ + 1;
      freelist = Allocate(pages);
      std::vector<Pgid> ids;
      ids.reserve(free_.size() + pending_.size());
      std::sort(pending_.begin(), pending_.end());
      std::merge(free_.begin(), free_.end(), pending_.begin(), pending_.end(),
                 std::back_inserter(ids));
      if (auto d = std::adjacent_find(ids.begin(), ids.end()); d != ids.end()) {
        return Status::Corruption("page " + std::to_string(*d) +
                                  " is both free and in use: the file is damaged");
      }
      stats_->free_pages = ids.size();
      dirty_[freelist] = EncodeFreelist(ids, freelist, pages, page_size_);
    }
    for (const auto& [id, bytes] : dirty_) {
      ETCDSNAP_RETURN_IF_ERROR(WriteAt(id * page_size_, bytes));
      stats_->pages_written += bytes.size() / page_size_;
    }
    ETCDSNAP_RETURN_IF_ERROR(Sync());
    Meta m = meta_;
    m.txid = meta_.txid + 1;
    m.root = root;
    m.freelist = freelist;
    m.pgid = hwm_;
    const Pgid slot = m.txid % 2;
    ETCDSNAP_RETURN_IF_ERROR(WriteAt(slot * page_size_, EncodeMetaPage(m, slot, page_size_)));
    ETCDSNAP_RETURN_IF_ERROR(Sync());
    stats_->txid = m.txid;
    stats_->high_water = m.pgid;
    stats_->root = m.root;
    stats_->freelist = m.freelist;
    dirty_.clear();
    return Status::Ok();
  }

  std::unique_ptr<File> file_;
  UniqueFd fd_;
  UpdateOptions options_;
  CommitStats* stats_;
  uint32_t page_size_ = 0;
  size_t threshold_ = 0;
  Meta meta_;
  Pgid hwm_ = 0;
  bool persist_ = false;
  uint32_t old_freelist_overflow_ = 0;
  Tree root_;
  std::map<std::string, Tree, std::less<>> buckets_;
  std::vector<Pgid> free_;     // free before this tx, sorted: may be reused
  std::vector<Pgid> pending_;  // freed by this tx: free for the next one only
  std::map<Pgid, std::vector<uint8_t>> dirty_;
  bool done_ = false;
};

UpdateTx::~UpdateTx() = default;

Result<std::unique_ptr<UpdateTx>> UpdateTx::Open(const std::string& path,
                                                 const UpdateOptions& options) {
  UpdateOptions o = options;
  o.fill_percent = std::clamp(o.fill_percent, 0.1, 1.0);
  // O_NONBLOCK: a FIFO at the path must not hang the open; checked to be a regular file next.
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return Status::FromErrno("open " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Status::FromErrno("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path +
                                   " is not a regular file; give the path of a bbolt "
                                   "database file");
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::IOError(path +
                             " is locked by another process (a running etcd?); stop it "
                             "or work on a copy");
    }
    return Status::FromErrno("lock " + path, errno);
  }
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<File> file, File::Open(path));
  struct stat now;
  if (::stat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    return Status::Aborted(path + " was replaced while being opened; try again");
  }
  std::unique_ptr<UpdateTx> tx(new UpdateTx());
  tx->impl_ = std::make_unique<Impl>(std::move(file), std::move(fd), o, &tx->stats_);
  Status s = tx->impl_->LoadFreeSet();
  if (!s.ok()) return s.Annotate(path);
  return tx;
}

const File& UpdateTx::file() const { return impl_->file(); }
Status UpdateTx::CreateBucketIfMissing(std::string_view name) {
  return impl_->CreateBucketIfMissing(name);
}
Status UpdateTx::ClearBucket(std::string_view name) { return impl_->ClearBucket(name); }
Status UpdateTx::Put(std::string_view bucket, std::string_view key, std::string_view value) {
  return impl_->Put(bucket, key, value);
}
Result<std::optional<std::string>> UpdateTx::Get(std::string_view bucket, std::string_view key) {
  return impl_->Get(bucket, key);
}
Result<std::optional<std::string>> UpdateTx::LastKey(std::string_view bucket) {
  return impl_->LastKey(bucket);
}
Status UpdateTx::Commit() { return impl_->Commit(); }

}  // namespace etcdsnap::bolt
