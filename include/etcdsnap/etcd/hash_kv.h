// etcd's Maintenance.HashKV, computed from a backend's `key` bucket instead of a live store.
//
// What the server hashes (mvcc HashByRev, the same in 3.4, 3.5 and 3.6): CRC-32C (Castagnoli)
// over the bucket name "key", then, in bucket order, the raw revision key and the raw stored
// KeyValue of every entry whose main revision is <= R, except that an entry at or below the
// compact revision C counts only when it is its key's latest revision <= R and not a deletion
// (the "keep" set, taken at R), unless no key is live at R (the keep set is empty: then every
// entry <= C counts, as the server's `len(keep) > 0` test has it). From 3.4.34/3.5.16/3.6 a
// deletion exactly at C is never hashed (it only matters when the keep set is empty).
//
// The keep set needs the latest revision of every key, so the computation is two sequential
// walks of the bucket: Index() records, per key, its latest revision <= R (keyed by a 128-bit
// hash of the key: 32 bytes a key in an open-addressing table, ~64 MiB for a million keys), and
// Hash() computes one CRC per requested compact revision in a second walk. The hash is a
// function of (R, C) only, so a file compacted at C_s reproduces a server's hash for any
// C in [C_s, R] (see docs/hashkv.md).
//
// Not thread-safe; Hash() may be called several times after one Index().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "etcdsnap/etcd/key_bucket.h"
#include "etcdsnap/etcd/store_meta.h"
#include "etcdsnap/util/hash128.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

// The HashKV rules that changed between etcd releases.
struct HashKvRules {
  // HashKV(R) with R equal to the compact revision is answered (3.4.27+, 3.5.10+, 3.6); older
  // servers refuse it as compacted.
  bool allows_rev_at_compaction = true;
  // A deletion exactly at the compact revision is never hashed (3.4.34+, 3.5.16+, 3.6).
  bool skips_tombstone_at_compaction = true;
  // A member opening a file raises its current revision to scheduledCompactRev too, so an
  // interrupted compaction above the last key is resumed (3.4.32+, 3.5.14+, 3.6). Before, the
  // resume fails and the compact revision stays at finishedCompactRev.
  bool current_rev_covers_scheduled = true;
};

// The rules of an etcd version: "3.4.23", "v3.5.16", "3.6.0"; "3.4" or "3.5" alone mean the
// newest patch release of that line (the newest rules); "" or "latest" the newest rules.
// kInvalidArgument for anything else, and for versions before 3.3 (no HashKV).
Result<HashKvRules> HashKvRulesFor(std::string_view version);

// The current and compact revisions a member opening the file would have (mvcc restore()).
struct StoreRevisions {
  int64_t current = 1;   // the last key's main revision (1 for an empty bucket), raised to C
  int64_t compact = -1;  // -1: never compacted
};
// `last_main`: the main revision of the last entry of bucket `key`, 0 when it is empty.
StoreRevisions RestoredRevisions(const StoreMeta& meta, int64_t last_main, const HashKvRules& rules);

// HashByRev's checks of a requested revision (0: the current one, never refused): kInvalidArgument
// with etcd's words, "mvcc: required revision has been compacted" (rev below C, or at C before
// 3.4.27/3.5.10) or "mvcc: required revision is a future revision" (rev above the current one).
Status CheckHashRevision(int64_t rev, const StoreRevisions& store, const HashKvRules& rules);

// Walks entries of bucket `key` in order, calling the function for each (ForEachKeyEntry over
// a file, or a list in tests).
using KeyWalk = std::function<Status(const KeyEntryFn&)>;

// One hash wanted from the second walk.
struct HashRequest {
  int64_t compact_revision = -1;
  bool skip_tombstone_at_compaction = true;  // HashKvRules::skips_tombstone_at_compaction
};

class KvHasher {
 public:
  // Hashes revisions up to main revision `rev`; 0 (or less): every revision in the bucket,
  // which is what HashKV at the current revision covers.
  explicit KvHasher(int64_t rev);
  ~KvHasher();
  KvHasher(const KvHasher&) = delete;
  KvHasher& operator=(const KvHasher&) = delete;

  // The first walk: the latest revision of every key up to `rev`. kCorruption for a value that
  // is not a KeyValue.
  Status Index(const KeyWalk& walk);
  // After Index(): the main revision of the last entry in the bucket (0 when empty).
  int64_t last_main() const { return last_main_; }
  // After Index(): distinct keys seen up to `rev`, and whether any is live at `rev`.
  uint64_t keys() const { return size_; }
  bool keep_empty() const { return live_ == 0; }
  // Bytes held by the index.
  uint64_t memory_bytes() const;

  // The second walk: one hash per request, in order.
  Result<std::vector<uint32_t>> Hash(const KeyWalk& walk,
                                     const std::vector<HashRequest>& requests) const;

 private:
  // One key: the hash of its bytes and its latest revision <= rev_.
  struct Slot {
    Hash128 key;
    int64_t main = 0;
    uint32_t sub = 0;
    uint32_t flags = 0;  // kUsed, kTombstone
  };
  const Slot* Find(const Hash128& h) const;
  Slot* FindOrInsert(const Hash128& h);
  void Grow();

  int64_t rev_;
  int64_t last_main_ = 0;
  std::unique_ptr<Slot[]> slots_;
  uint64_t capacity_ = 0;  // 0 or a power of two
  uint64_t size_ = 0;
  uint64_t live_ = 0;  // keys whose latest revision <= rev is not a deletion
};

}  // namespace etcdsnap::etcd
