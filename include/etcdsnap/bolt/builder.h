// Builder: writes a new bbolt file in one pass from sorted input: top-level buckets in
// ascending name order, each with its keys in ascending order (bbolt's bytes.Compare). Pages are
// written bottom-up as they fill (children before parents), so a page never needs rewriting.
//
// Layout: pages 0 and 1 are the metas (txids 0 and 1, as bbolt's db.init writes them), page 2 is
// an empty freelist page (or none, with persist_freelist off: meta.freelist = 0xFFFF..., what
// etcd on Linux writes), then the data pages. Leaves and branches are packed to fill_percent of a
// page (1.0 by default, as bbolt's Compact does for its sequential loads) with at least two
// elements per page (a lone element larger than a page gets an overflow page of its own when
// its neighbour cannot join it); a bucket whose only page is a leaf of at most page_size/4 bytes
// is stored inline in its entry, by bbolt's inline rule. The file is exactly pgid*page_size
// bytes, data pages are fsynced before the metas, the metas after. Nested buckets are not
// supported (etcd has none).
//
// Memory: per tree level, two pages' worth of elements (the page being filled and the last full
// one, held back so that the last page of a level never ends with fewer than two elements), for
// the bucket being written and for the root bucket: O(depth x page size), whatever the input.
//
// The file is created with O_EXCL and mode 0600; on any failure, or when the Builder is
// destroyed before Finish() succeeded, it is removed: no partial file is left. Making the new
// directory entry durable (fsync of the directory) is the caller's, who stages the data dir.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "etcdsnap/bolt/format.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::bolt {

struct BuildOptions {
  uint32_t page_size = 4096;
  double fill_percent = 1.0;  // clamped to bbolt's [0.1, 1.0]
  bool persist_freelist = true;
  bool sync = true;  // fsync data, then metas (off: tests that build many files)
};

// Figures about a finished build.
struct BuildStats {
  Pgid high_water = 0;
  uint64_t buckets = 0;
  uint64_t inline_buckets = 0;
  uint64_t keys = 0;
  uint64_t leaf_pages = 0;
  uint64_t branch_pages = 0;
  uint64_t overflow_pages = 0;  // continuation pages of leaves and branches
};

class Builder {
 public:
  static Result<std::unique_ptr<Builder>> Create(const std::string& path,
                                                 const BuildOptions& options);
  static Result<std::unique_ptr<Builder>> Create(const std::string& path) {
    return Create(path, BuildOptions{});
  }
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  // Starts top-level bucket `name` (after the previous one in key order) with its sequence.
  Status BeginBucket(std::string_view name, uint64_t sequence = 0);
  // Adds a key to the open bucket; keys strictly ascending.
  Status Put(std::string_view key, std::string_view value);
  Status EndBucket();
  // Writes the root bucket, the freelist and the metas, and syncs. Any error before (or here)
  // leaves the Builder failed: every later call returns that error, and the file is removed.
  Status Finish();

  const BuildStats& stats() const { return stats_; }

  class Impl;

 private:
  explicit Builder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  BuildStats stats_;
};

}  // namespace etcdsnap::bolt
