// UpdateTx: one bbolt read-write transaction over an existing file, done the way bbolt commits
// one (copy on write), for restore's edits of a snapshot copy: empty small top-level buckets,
// put keys, append a key at the end of a big bucket.
//
// Every page an edit touches (the root-to-leaf path in the bucket, and the path to the bucket's
// entry in the root bucket) is read into an in-memory node once; Commit() writes those nodes as
// new pages (splitting the ones that outgrew a page as bbolt's node.split does, with bbolt's
// default fill of 0.5), at free pages or at the high-water mark, and frees their old pages. A
// touched bucket that is a leaf of at most page_size/4 bytes without sub-buckets is stored
// inline (bbolt's rule). No other page is read into memory or written. Then, as bbolt's
// tx.Commit: the new freelist page, the data pages, fdatasync, the meta (txid + 1, in meta page
// (txid + 1) % 2, FNV-1a checksum), fdatasync. Pages freed by this transaction are listed as free
// but never reused by it, so the previous meta still describes an intact tree until the new
// meta is durable.
//
// Freelist. A file with a persisted freelist keeps one: the new freelist page lists the
// previous free pages not reused, plus every page this transaction freed (old copies of the
// rewritten pages, emptied buckets' pages, the old freelist page). A file written with
// NoFreelistSync (meta.freelist = 0xFFFF..., what etcd writes on Linux, so every etcd snapshot)
// stays that way by default (FreelistMode::kKeep): new pages go at the high-water mark and
// replaced pages simply become unreachable, which is what free means in that mode, and nothing
// beyond the edited paths is read. FreelistMode::kPersist instead rebuilds the free set as bbolt
// does (a walk of every page of every bucket, as with bbolt's freepages()) and writes a
// freelist page.
//
// Memory: the nodes of the touched pages (each at most one logical page, copied), i.e. one
// root-to-leaf path per edited key plus the emptied buckets' new content, the new pages until
// they are written at commit (the same bytes again), and 8 bytes per page freed (an emptied
// bucket frees all of its pages) or listed in a persisted freelist. With kPersist on a
// NoFreelistSync file also one bit per page of the file for the walk. Never the whole file: for
// restore's edits of an etcd snapshot, a few pages whatever its size.
//
// Only top-level buckets are edited (etcd has no nested ones); nested buckets elsewhere in the
// file are carried over untouched. The file is flock()ed exclusively while the transaction is
// open (as bbolt does), so a running etcd or another UpdateTx on the same file is refused. After
// Commit() (or any failure in it) the transaction is finished. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/format.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

enum class FreelistMode {
  kKeep,     // persisted stays persisted, NoFreelistSync stays NoFreelistSync
  kPersist,  // always write a freelist page (walks the whole file when there was none)
};

struct UpdateOptions {
  FreelistMode freelist = FreelistMode::kKeep;
  double fill_percent = 0.5;  // bbolt's Bucket.FillPercent default, clamped to [0.1, 1.0]
  bool sync = true;
};

// What Commit() did, for logs and tests.
struct CommitStats {
  uint64_t txid = 0;            // the new transaction id
  Pgid high_water = 0;          // the new high-water mark
  Pgid root = 0;                // the new root bucket page
  Pgid freelist = kNoFreelist;  // the new freelist page
  uint64_t pages_written = 0;   // data pages (with overflow) and freelist pages
  uint64_t pages_freed = 0;     // pages this transaction freed
  uint64_t pages_reused = 0;    // of pages_written, at ids that were free before
  uint64_t free_pages = 0;      // ids in the new freelist (0 with NoFreelistSync)
};

class UpdateTx {
 public:
  // Opens `path` (a regular file, read and written in place) for one transaction.
  static Result<std::unique_ptr<UpdateTx>> Open(const std::string& path,
                                                const UpdateOptions& options);
  static Result<std::unique_ptr<UpdateTx>> Open(const std::string& path) {
    return Open(path, UpdateOptions{});
  }
  ~UpdateTx();
  UpdateTx(const UpdateTx&) = delete;
  UpdateTx& operator=(const UpdateTx&) = delete;

  // Creates top-level bucket `name` (empty, inline) when missing. Fails when `name` is a key
  // that is not a bucket.
  Status CreateBucketIfMissing(std::string_view name);
  // Deletes every key of bucket `name` (creating it when missing); its pages are freed.
  Status ClearBucket(std::string_view name);
  // Sets `key` to `value` in top-level bucket `bucket`, which must exist. A key holding a
  // sub-bucket is refused (bbolt's "incompatible value").
  Status Put(std::string_view bucket, std::string_view key, std::string_view value);
  // The value of `key` in `bucket`, seeing this transaction's own puts; nullopt when absent.
  Result<std::optional<std::string>> Get(std::string_view bucket, std::string_view key);
  // The largest key of `bucket` (nullopt when empty), reading only the rightmost path.
  Result<std::optional<std::string>> LastKey(std::string_view bucket);

  Status Commit();

  const File& file() const;
  const CommitStats& stats() const { return stats_; }

  class Impl;

 private:
  UpdateTx() = default;
  std::unique_ptr<Impl> impl_;
  CommitStats stats_;
};

}  // namespace etcdsnap::bolt
