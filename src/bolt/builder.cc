#include "etcdsnap/bolt/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "etcdsnap/util/file.h"
#include "page_encoder.h"

namespace etcdsnap::bolt {
namespace {

constexpr size_t kWriteBuffer = size_t{1} << 20;

// Hands out page ids in order and writes the pages, which arrive in that same order, through a
// buffer of about 1 MiB.
class PageSink {
 public:
  PageSink(int fd, const std::string& path, uint32_t page_size, Pgid first)
      : fd_(fd), path_(path), page_size_(page_size), next_(first), buffered_from_(first) {}

  Pgid Reserve(uint64_t pages) {
    const Pgid id = next_;
    next_ += pages;
    return id;
  }
  Status Write(const std::vector<uint8_t>& page) {
    buf_.insert(buf_.end(), page.begin(), page.end());
    return buf_.size() >= kWriteBuffer ? Flush() : Status::Ok();
  }
  Status Flush() {
    Status s = WriteAt(buffered_from_ * page_size_, buf_);
    buffered_from_ += buf_.size() / page_size_;
    buf_.clear();
    return s;
  }
  Status WriteAt(uint64_t offset, const std::vector<uint8_t>& bytes) const {
    return PwriteAll(fd_, offset, bytes, path_);
  }
  Pgid next() const { return next_; }

 private:
  int fd_;
  const std::string& path_;
  uint32_t page_size_;
  Pgid next_;
  Pgid buffered_from_;
  std::vector<uint8_t> buf_;
};

// Builds one bucket's B+tree bottom-up from keys in ascending order (see builder.h).
class TreeBuilder {
 public:
  struct Root {
    Pgid pgid = 0;                     // 0: inline
    std::vector<uint8_t> inline_page;  // the page image when inline
  };

  TreeBuilder(PageSink* sink, uint32_t page_size, double fill, BuildStats* stats)
      : sink_(sink),
        page_size_(page_size),
        threshold_(static_cast<size_t>(static_cast<double>(page_size) * fill)),
        stats_(stats) {}

  Status Add(uint32_t flags, std::string_view key, std::string_view value) {
    if ((flags & kBucketLeafFlag) != 0) has_buckets_ = true;
    return AddAt(0, Inode{flags, std::string(key), std::string(value), 0});
  }

  Result<Root> Finish(bool allow_inline) {
    if (levels_.empty()) levels_.resize(1);
    for (size_t l = 0;; ++l) {
      {
        Level& lv = levels_[l];
        if (lv.has_prev && lv.cur.size() < kMinKeysPerPage) {
          // Never end a level with a lone element: borrow one, or merge the two pages.
          if (lv.prev.size() >= 2 * kMinKeysPerPage) {
            lv.cur.insert(lv.cur.begin(), std::move(lv.prev.back()));
            lv.prev.pop_back();
          } else {
            for (Inode& in : lv.cur) lv.prev.push_back(std::move(in));
            lv.cur = std::move(lv.prev);
            lv.prev.clear();
            lv.has_prev = false;
          }
        }
        if (!lv.emitted && !lv.has_prev) {  // the only page of the top level: the root
          const bool leaf = l == 0;
          if (leaf && allow_inline && !has_buckets_ && NodeSize(lv.cur, true) <= page_size_ / 4) {
            return Root{0, EncodeNode(lv.cur, 0, lv.cur.size(), true, 0, 0)};
          }
          ETCDSNAP_ASSIGN_OR_RETURN(Pgid id, WritePage(lv.cur, leaf));
          return Root{id, {}};
        }
      }
      if (levels_[l].has_prev) {
        ETCDSNAP_RETURN_IF_ERROR(Emit(l, std::move(levels_[l].prev)));
        levels_[l].has_prev = false;
      }
      ETCDSNAP_RETURN_IF_ERROR(Emit(l, std::move(levels_[l].cur)));
    }
  }

 private:
  struct Level {
    std::vector<Inode> prev;  // the last full page, not written yet
    std::vector<Inode> cur;   // the page being filled
    size_t cur_size = kPageHeaderSize;
    bool has_prev = false;
    bool emitted = false;  // a page of this level was written (the level above exists)
  };

  Status AddAt(size_t l, Inode in) {
    if (levels_.size() <= l) levels_.resize(l + 1);
    const size_t es = ElementSize(in, l == 0);
    if (levels_[l].cur.size() >= kMinKeysPerPage && levels_[l].cur_size + es > threshold_) {
      if (levels_[l].has_prev) {
        ETCDSNAP_RETURN_IF_ERROR(Emit(l, std::move(levels_[l].prev)));  // may grow levels_
      }
      Level& lv = levels_[l];
      lv.prev = std::move(lv.cur);
      lv.has_prev = true;
      lv.cur.clear();
      lv.cur_size = kPageHeaderSize;
    }
    Level& lv = levels_[l];
    lv.cur_size += es;
    lv.cur.push_back(std::move(in));
    return Status::Ok();
  }

  // Writes a page of level l and adds its (first key, page id) to level l+1.
  Status Emit(size_t l, std::vector<Inode> page) {
    ETCDSNAP_ASSIGN_OR_RETURN(Pgid id, WritePage(page, l == 0));
    levels_[l].emitted = true;
    return AddAt(l + 1, Inode{0, std::move(page.front().key), {}, id});
  }

  Result<Pgid> WritePage(const std::vector<Inode>& page, bool leaf) {
    const size_t size = NodeSize(page, leaf);
    const uint64_t pages = (size + page_size_ - 1) / page_size_;
    const Pgid id = sink_->Reserve(pages);
    ETCDSNAP_RETURN_IF_ERROR(sink_->Write(EncodeNode(page, 0, page.size(), leaf, id, page_size_)));
    ++(leaf ? stats_->leaf_pages : stats_->branch_pages);
    stats_->overflow_pages += pages - 1;
    return id;
  }

  PageSink* sink_;
  uint32_t page_size_;
  size_t threshold_;
  BuildStats* stats_;
  std::vector<Level> levels_;
  bool has_buckets_ = false;
};

}  // namespace

class Builder::Impl {
 public:
  Impl(std::string path, UniqueFd fd, const BuildOptions& o, BuildStats* stats)
      : path_(std::move(path)),
        fd_(std::move(fd)),
        options_(o),
        stats_(stats),
        sink_(fd_.get(), path_, o.page_size, o.persist_freelist ? 3 : 2),
        root_(&sink_, o.page_size, o.fill_percent, stats) {}

  ~Impl() {
    if (!finished_) ::unlink(path_.c_str());
  }

  Status BeginBucket(std::string_view name, uint64_t sequence) {
    ETCDSNAP_RETURN_IF_ERROR(status_);
    if (bucket_)
      return Fail(Status::InvalidArgument("bucket " + Quote(name_) + " is still open"));
    Status s = CheckKeyValue(name, 0);
    if (!s.ok()) return Fail(s.Annotate("bucket name"));
    if (stats_->buckets > 0 && CompareKeys(last_bucket_, name) >= 0) {
      return Fail(Status::InvalidArgument("bucket " + Quote(name) + " does not sort after " +
                                          Quote(last_bucket_) +
                                          ": buckets must come in ascending order"));
    }
    name_ = std::string(name);
    sequence_ = sequence;
    have_key_ = false;
    bucket_ =
        std::make_unique<TreeBuilder>(&sink_, options_.page_size, options_.fill_percent, stats_);
    return Status::Ok();
  }

  Status Put(std::string_view key, std::string_view value) {
    ETCDSNAP_RETURN_IF_ERROR(status_);
    if (!bucket_) return Fail(Status::InvalidArgument("put outside a bucket"));
    Status s = CheckKeyValue(key, value.size());
    if (!s.ok()) return Fail(s.Annotate("bucket " + Quote(name_)));
    if (have_key_ && CompareKeys(last_key_, key) >= 0) {
      return Fail(Status::InvalidArgument("bucket " + Quote(name_) + ": key " + Quote(key) +
                                          " does not sort after " + Quote(last_key_) +
                                          ": keys must come in ascending order"));
    }
    last_key_.assign(key);
    have_key_ = true;
    ++stats_->keys;
    return Guard(bucket_->Add(0, key, value));
  }

  Status EndBucket() {
    ETCDSNAP_RETURN_IF_ERROR(status_);
    if (!bucket_) return Fail(Status::InvalidArgument("no bucket is open"));
    Result<TreeBuilder::Root> root = bucket_->Finish(/*allow_inline=*/true);
    if (!root.ok()) return Fail(root.status());
    bucket_.reset();
    ++stats_->buckets;
    if (root->pgid == 0) ++stats_->inline_buckets;
    last_bucket_ = name_;
    return Guard(root_.Add(kBucketLeafFlag, name_,
                           EncodeBucketValue(root->pgid, sequence_, root->inline_page)));
  }

  Status Finish() {
    ETCDSNAP_RETURN_IF_ERROR(status_);
    if (bucket_)
      return Fail(Status::InvalidArgument("bucket " + Quote(name_) + " is still open"));
    Result<TreeBuilder::Root> root = root_.Finish(/*allow_inline=*/false);
    if (!root.ok()) return Fail(root.status());
    ETCDSNAP_RETURN_IF_ERROR(Guard(sink_.Flush()));
    Meta m;
    m.magic = kMagic;
    m.version = kVersion;
    m.page_size = options_.page_size;
    m.root = root->pgid;
    m.freelist = options_.persist_freelist ? 2 : kNoFreelist;
    m.pgid = sink_.next();
    stats_->high_water = m.pgid;
    if (options_.persist_freelist) {
      ETCDSNAP_RETURN_IF_ERROR(Guard(sink_.WriteAt(2 * uint64_t{options_.page_size},
                                                   EncodeFreelist({}, 2, 1, options_.page_size))));
    }
    ETCDSNAP_RETURN_IF_ERROR(Guard(Sync()));
    for (Pgid slot = 0; slot < 2; ++slot) {
      m.txid = slot;  // as db.init: meta 0 txid 0, meta 1 txid 1
      ETCDSNAP_RETURN_IF_ERROR(Guard(
          sink_.WriteAt(slot * options_.page_size, EncodeMetaPage(m, slot, options_.page_size))));
    }
    ETCDSNAP_RETURN_IF_ERROR(Guard(Sync()));
    if (::close(fd_.Release()) != 0) return Fail(Status::FromErrno("close " + path_, errno));
    finished_ = true;
    return Status::Ok();
  }

 private:
  Status Sync() {
    if (options_.sync && ::fdatasync(fd_.get()) != 0) {
      return Status::FromErrno("fsync " + path_, errno);
    }
    return Status::Ok();
  }
  Status Fail(Status s) {
    status_ = s.Annotate("build " + path_);
    fd_.Reset();
    ::unlink(path_.c_str());
    return status_;
  }
  Status Guard(Status s) { return s.ok() ? s : Fail(std::move(s)); }

  std::string path_;
  UniqueFd fd_;
  BuildOptions options_;
  BuildStats* stats_;
  PageSink sink_;
  TreeBuilder root_;
  std::unique_ptr<TreeBuilder> bucket_;
  std::string name_, last_bucket_, last_key_;
  uint64_t sequence_ = 0;
  bool have_key_ = false;
  bool finished_ = false;
  Status status_;
};

Builder::Builder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Builder::~Builder() = default;

Result<std::unique_ptr<Builder>> Builder::Create(const std::string& path,
                                                 const BuildOptions& options) {
  BuildOptions o = options;
  o.fill_percent = std::clamp(o.fill_percent, 0.1, 1.0);
  if (o.page_size < 1024 || o.page_size > (1u << 16) || (o.page_size & (o.page_size - 1)) != 0) {
    return Status::InvalidArgument("page size " + std::to_string(o.page_size) +
                                   " is not a power of two between 1024 and 65536");
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::FromErrno("create " + path, errno);
  std::unique_ptr<Builder> b(new Builder(nullptr));
  b->impl_ = std::make_unique<Impl>(path, std::move(fd), o, &b->stats_);
  return b;
}

Status Builder::BeginBucket(std::string_view name, uint64_t sequence) {
  return impl_->BeginBucket(name, sequence);
}
Status Builder::Put(std::string_view key, std::string_view value) { return impl_->Put(key, value); }
Status Builder::EndBucket() { return impl_->EndBucket(); }
Status Builder::Finish() { return impl_->Finish(); }

}  // namespace etcdsnap::bolt
