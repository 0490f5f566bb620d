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
//
// With a SplittableVisitor (CheckOptions::parallel_visitor), the bucket it asks for (etcd's
// `key`, 99% of a snapshot) is walked on two threads when its root is a branch of two children
// or more: the second half of the root's children, with its own cursor, bitset, figures and
// forked visitor, on a second thread; the first half and everything else on the caller's.
// The halves are joined in key order when the first half is done. The result is the single
// walk's whenever the parallel walk found nothing wrong; if it found anything at all (an error
// in either half, a page reached from both), Check() forgets it and walks again on one thread,
// so that errors, their order and their count are always those of the one reference walk.
// Memory: one more bitset and one more cursor stack.
#pragma once

#include <cstdint>
#include <memory>
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

// A visitor whose work on one top-level bucket can be split in two key ranges walked at once.
// Check() walks the later range with a Fork() on another thread and Join()s it when it has
// walked the earlier range, so the visitor ends as if it had seen every entry in order.
class SplittableVisitor : public EntryVisitor {
 public:
  // Whether top-level bucket `name` (whose depth-0 entry this visitor has just seen) may be
  // split. Called on the walking thread.
  virtual bool CanSplit(Bytes name) const = 0;
  // A fresh visitor for a later key range of that bucket: it receives the entries of that
  // range (depth 1 and deeper), exactly as this one would have, and nothing else.
  virtual std::unique_ptr<SplittableVisitor> Fork() const = 0;
  // Folds in the state of `fork` (made by this visitor's Fork()), as if the fork's entries
  // had just come to this visitor.
  virtual void Join(SplittableVisitor& fork) = 0;
  // Forgets every entry seen, for a new walk from the start.
  virtual void Reset() = 0;
};

// How Check() runs: how many messages to keep, and who sees the entries.
struct CheckOptions {
  // Errors past this many are counted but not kept.
  size_t max_errors = 100000;
  EntryVisitor* visitor = nullptr;
  // Set instead of `visitor`: the same walk, with the bucket this visitor asks for split
  // over two threads (see the top of this file).
  SplittableVisitor* parallel_visitor = nullptr;
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
  // With a parallel_visitor: whether a bucket was walked on two threads, and whether that walk
  // found a problem and the result is the single-threaded walk's, made after it.
  bool walked_split = false;
  bool rewalked = false;
  bool ok() const { return error_count == 0; }
};

CheckResult Check(const File& file, const CheckOptions& options);
inline CheckResult Check(const File& file) { return Check(file, CheckOptions{}); }

}  // namespace etcdsnap::bolt
