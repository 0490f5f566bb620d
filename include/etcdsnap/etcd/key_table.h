// KeyTable: the latest state of every user key of bucket `key`, and the size of its history,
// built from the bucket's entries in bucket (revision) order in one pass. What a report on a
// backend's contents needs per key (inspect's per-resource figures, diff's comparison of two
// files) without a second walk or etcd's in-memory index.
//
// With a compact revision C (a file saved while a compaction was running: meta's
// scheduledCompactRev above finishedCompactRev, which the member opening the file finishes), the
// history figures count what that compaction keeps, the rule of snapshot hashkv and of etcd's
// kvindex.Compact: an entry at or below C counts only while it is its key's latest entry at or
// below C and not a deletion. Above C every entry counts. The latest state is not affected (the
// compaction keeps every key's latest put).
//
// Memory: one 88-byte record and 16 to 32 bytes of hash slots per distinct key, plus the key's own
// bytes (kept once, in 1 MiB blocks): about 170 MiB for a million 60-byte Kubernetes keys. A
// file cannot make it hold more keys than it has entries. Lookups compare whole keys (no false
// matches); the hash is not keyed, so a file crafted for collisions is refused after a bounded
// probe instead of turning the pass quadratic. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

struct KeyRecord {
  const char* key_data = nullptr;
  uint32_t key_size = 0;
  uint32_t revisions = 0;       // entries kept: puts and deletions (0: the compaction drops the key)
  uint64_t bytes_all = 0;       // key + value bytes over those entries (a deletion: the key)
  int64_t create_revision = 0;  // of the latest put (0 while deleted)
  int64_t mod_revision = 0;     // main revision of the latest entry
  int64_t version = 0;          // of the latest put
  int64_t lease = 0;            // of the latest put
  uint32_t value_size = 0;      // of the latest put
  uint32_t deletes = 0;         // deletion entries
  // The entry at or below the compact revision counted so far (a later one at or below it
  // replaces it): its key + value and stored bytes.
  uint32_t below_bytes = 0;
  uint32_t below_stored = 0;
  bool below_counted = false;
  bool deleted = false;         // the latest entry is a deletion
  // Free for the caller (inspect keeps the resource and the latest value's type here).
  uint32_t tag = 0;
  uint32_t tag2 = 0;

  std::string_view key() const { return {key_data, key_size}; }
  // Key + value bytes at the latest revision; 0 for a deleted key.
  uint64_t bytes() const { return deleted ? 0 : uint64_t{key_size} + value_size; }
};

// What one Apply changed in the history figures: the entry's own, when it counts, less those of
// the key's earlier entry at or below the compact revision that it replaces.
struct HistoryChange {
  int64_t revisions = 0;
  int64_t deletes = 0;
  int64_t bytes = 0;         // key + value
  int64_t stored_bytes = 0;  // as the caller gave them (revision key + stored KeyValue)
};

class KeyTable {
 public:
  // `compact_revision`: the compaction whose keep rule the history figures follow; -1: none
  // (every entry counts).
  explicit KeyTable(int64_t compact_revision = -1);
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Applies one entry of bucket `key` (`rev` from its revision key, `kv` its decoded value),
  // entries given in bucket order: a put sets the key's latest state, a deletion marks it
  // deleted; both count in its history unless the compaction drops them (above). Returns the
  // key's record (valid until the next Apply) and sets *inserted when the key is new; `change`
  // (optional) receives what the entry changed in the history figures, `stored_bytes` being the
  // entry's size as the bucket holds it. kCorruption when the file has more keys than the
  // table can index (2^32 - 1) or a run of colliding keys (a crafted file).
  Result<KeyRecord*> Apply(const Revision& rev, const KeyValue& kv, bool* inserted,
                           HistoryChange* change = nullptr, uint64_t stored_bytes = 0);

  // The record of `key`, or null.
  const KeyRecord* Find(std::string_view key) const;

  size_t size() const { return records_.size(); }
  // The hash a key is looked up by (fixed, not keyed: tests craft collisions with it).
  static uint64_t Hash(std::string_view key);
  // The longest run of slots a lookup probes before it fails the file.
  static constexpr uint64_t kMaxProbe = 1024;
  const KeyRecord& operator[](size_t i) const { return records_[i]; }
  // Bytes held: records, slots and key bytes.
  uint64_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t index_plus_one = 0;  // 0: empty
    uint32_t fingerprint = 0;
  };
  // The slot holding `key`, or the empty slot where it belongs; null past the probe limit.
  Slot* Probe(std::string_view key, uint64_t hash) const;
  Status Grow();
  const char* Store(std::string_view key);

  int64_t compact_revision_;
  std::vector<KeyRecord> records_;
  std::unique_ptr<Slot[]> slots_;
  uint64_t mask_ = 0;  // capacity - 1; capacity is a power of two
  // Keys, copied once: small ones packed into blocks, large ones in allocations of their own.
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_keys_;
  size_t block_used_ = 0;
  uint64_t arena_bytes_ = 0;
};

}  // namespace etcdsnap::etcd
