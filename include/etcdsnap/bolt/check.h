// Check(): bbolt's tx.Check() plus the checks a reader of untrusted files needs, in one pass
// over every bucket. bbolt's messages are kept word for word ("page N: unreachable unfreed",
// "page N: multiple references", "page N: reachable freed", "page N: invalid type: T",
// "page N: out of bounds: HWM", "page N: already freed") so that `snapshot status` fails with
// the text etcdctl prints. Ours add element bounds, key order, cycles (a page reached twice is
// not descended again), inline bucket internals and freelist sanity.
//
// The walk can also feed an EntryVisitor with every key/value pair, bucket by bucket in key
// order (a depth-first walk: a sub-bucket's pairs come right after its entry in the parent),
// so a caller computes its own figures (etcd's status hash) without a second pass.
// Memory: two bitsets of high-water-mark bits plus one page buffer per tree level.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/format.h"

namespace etcdsnap::bolt {

// One key/value pair met by Check(). depth 0: an entry of the root bucket (a top-level bucket
// name); depth 1: a pair in a top-level bucket; and so on. For a bucket entry, value is the raw
// bucket header (and inline page); `is_bucket` tells them apart.
struct Entry {
  size_t depth = 0;
  Bytes key;
  Bytes value;
  bool is_bucket = false;
};

// Receives the entries of a Check() walk. The spans are valid during the call only.
class EntryVisitor {
 public:
  virtual ~EntryVisitor() = default;
  virtual void OnEntry(const Entry& entry) = 0;
};

// How Check() runs: how many messages to keep, and who sees the entries.
struct CheckOptions {
  // Errors past this many are counted but not kept.
  size_t max_errors = 100000;
  EntryVisitor* visitor = nullptr;
};

// What Check() found. ok() when no error at all.
struct CheckResult {
  std::vector<std::string> errors;
  uint64_t error_count = 0;
  bool freelist_persisted = false;
  uint64_t high_water = 0;       // pages in the database
  uint64_t reachable_pages = 0;  // meta, freelist and bucket tree pages
  uint64_t free_pages = 0;       // listed in the freelist, or not reachable when not persisted
  uint64_t buckets = 0;          // every bucket, nested ones included
  uint64_t inline_buckets = 0;
  uint64_t keys = 0;  // every non-bucket pair, in every bucket
  bool ok() const { return error_count == 0; }
};

CheckResult Check(const File& file, const CheckOptions& options);
inline CheckResult Check(const File& file) { return Check(file, CheckOptions{}); }

}  // namespace etcdsnap::bolt
