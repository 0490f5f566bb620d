#include "etcdsnap/etcd/key_table.h"

#include <cstring>
#include <limits>
#include <string>

#include "etcdsnap/util/hash128.h"

namespace etcdsnap::etcd {
namespace {

constexpr uint64_t kInitialCapacity = 1024;
constexpr size_t kBlockSize = size_t{1} << 20;

uint64_t HashKey(std::string_view key) { return KeyTable::Hash(key); }
uint32_t Fingerprint(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

// Linear probing at most half full: a run of kMaxProbe slots has odds far below 2^-64 for keys
// that were not crafted to collide.
uint64_t KeyTable::Hash(std::string_view key) { return HashBytes128(key, 0x6b657973).lo; }

KeyTable::KeyTable(int64_t compact_revision)
    : compact_revision_(compact_revision),
      slots_(std::make_unique<Slot[]>(kInitialCapacity)), mask_(kInitialCapacity - 1) {}
KeyTable::~KeyTable() = default;

KeyTable::Slot* KeyTable::Probe(std::string_view key, uint64_t hash) const {
  const uint32_t fp = Fingerprint(hash);
  for (uint64_t i = 0; i < kMaxProbe; ++i) {
    Slot* s = &slots_[(hash + i) & mask_];
    if (s->index_plus_one == 0) return s;
    if (s->fingerprint == fp && records_[s->index_plus_one - 1].key() == key) return s;
  }
  return nullptr;
}

Status KeyTable::Grow() {
  const uint64_t capacity = (mask_ + 1) * 2;
  auto old = std::move(slots_);
  const uint64_t old_capacity = mask_ + 1;
  slots_ = std::make_unique<Slot[]>(capacity);
  mask_ = capacity - 1;
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].index_plus_one == 0) continue;
    const uint64_t hash = HashKey(records_[old[i].index_plus_one - 1].key());
    Slot* s = Probe(records_[old[i].index_plus_one - 1].key(), hash);
    if (s == nullptr) return Status::Corruption("too many keys share a hash (a crafted file?)");
    *s = old[i];
  }
  return Status::Ok();
}

const char* KeyTable::Store(std::string_view key) {
  if (key.size() > kBlockSize / 4) {
    // A large key gets a block of its own; the current block stays open for small ones.
    large_keys_.push_back(std::make_unique<char[]>(key.size()));
    std::memcpy(large_keys_.back().get(), key.data(), key.size());
    arena_bytes_ += key.size();
    return large_keys_.back().get();
  }
  if (blocks_.empty() || kBlockSize - block_used_ < key.size()) {
    blocks_.push_back(std::make_unique<char[]>(kBlockSize));
    block_used_ = 0;
    arena_bytes_ += kBlockSize;
  }
  char* p = blocks_.back().get() + block_used_;
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  block_used_ += key.size();
  return p;
}

Result<KeyRecord*> KeyTable::Apply(const Revision& rev, const KeyValue& kv, bool* inserted,
                                   HistoryChange* change, uint64_t stored_bytes) {
  const uint64_t hash = HashKey(kv.key);
  Slot* slot = Probe(kv.key, hash);
  if (slot == nullptr) return Status::Corruption("too many keys share a hash (a crafted file?)");
  *inserted = slot->index_plus_one == 0;
  size_t index = slot->index_plus_one - 1;
  if (*inserted) {
    if (records_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
      return Status::Corruption("more than 2^32 - 2 distinct keys");
    }
    KeyRecord fresh;
    fresh.key_data = Store(kv.key);
    fresh.key_size = static_cast<uint32_t>(kv.key.size());
    records_.push_back(fresh);
    index = records_.size() - 1;
    *slot = {static_cast<uint32_t>(records_.size()), Fingerprint(hash)};
    if (records_.size() * 2 > mask_ + 1) ETCDSNAP_RETURN_IF_ERROR(Grow());
  }
  KeyRecord& r = records_[index];
  const uint64_t bytes = kv.key.size() + kv.value.size();
  HistoryChange c;
  if (rev.main <= compact_revision_) {
    // At or below the compaction: this entry replaces the one counted before it, and counts
    // only as a put (the compaction drops a key's latest entry when it is a deletion).
    if (r.below_counted) {
      c = {-1, 0, -static_cast<int64_t>(r.below_bytes), -static_cast<int64_t>(r.below_stored)};
    }
    r.below_counted = !rev.tombstone;
    r.below_bytes = r.below_stored = 0;
    if (!rev.tombstone) {
      c.revisions += 1;
      c.bytes += static_cast<int64_t>(bytes);
      c.stored_bytes += static_cast<int64_t>(stored_bytes);
      // A bbolt value is below 4 GiB, and so is a KeyValue's key and value within it.
      r.below_bytes = static_cast<uint32_t>(bytes);
      r.below_stored = static_cast<uint32_t>(stored_bytes);
    }
  } else {
    c = {1, rev.tombstone ? 1 : 0, static_cast<int64_t>(bytes),
         static_cast<int64_t>(stored_bytes)};
  }
  r.revisions = static_cast<uint32_t>(r.revisions + c.revisions);
  r.deletes = static_cast<uint32_t>(r.deletes + c.deletes);
  r.bytes_all = static_cast<uint64_t>(static_cast<int64_t>(r.bytes_all) + c.bytes);
  if (change != nullptr) *change = c;
  r.mod_revision = rev.main;
  r.deleted = rev.tombstone;
  if (rev.tombstone) {
    r.create_revision = r.version = r.lease = 0;
    r.value_size = 0;
  } else {
    r.create_revision = kv.create_revision;
    r.version = kv.version;
    r.lease = kv.lease;
    r.value_size = static_cast<uint32_t>(kv.value.size());
  }
  return &r;
}

const KeyRecord* KeyTable::Find(std::string_view key) const {
  const Slot* s = Probe(key, HashKey(key));
  return s == nullptr || s->index_plus_one == 0 ? nullptr : &records_[s->index_plus_one - 1];
}

uint64_t KeyTable::memory_bytes() const {
  return records_.capacity() * sizeof(KeyRecord) + (mask_ + 1) * sizeof(Slot) +
         arena_bytes_;
}

}  // namespace etcdsnap::etcd
