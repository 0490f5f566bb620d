#include "etcdsnap/etcd/hash_kv.h"

#include <charconv>
#include <limits>
#include <string>

#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/util/crc32c.h"

namespace etcdsnap::etcd {
namespace {

constexpr uint32_t kUsed = 1;
constexpr uint32_t kTombstone = 2;
constexpr uint64_t kInitialCapacity = 1024;

// Parses "3", "3.4", "3.4.23" (after an optional 'v'); -1 for a part not given.
bool ParseVersion(std::string_view v, int parts[3]) {
  if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
  parts[0] = parts[1] = parts[2] = -1;
  for (int i = 0; i < 3; ++i) {
    const size_t dot = v.find('.');
    const std::string_view part = v.substr(0, dot);
    int n = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || n < 0) {
      return false;
    }
    parts[i] = n;
    if (dot == std::string_view::npos) return i >= 1;  // at least MAJOR.MINOR
    v.remove_prefix(dot + 1);
  }
  return false;  // more than three parts
}

// True when version (major, minor, patch) is at least the fix's patch release in its line:
// `fix34` for 3.4.x, `fix35` for 3.5.x; every 3.6+ has it, nothing before 3.4 does. A line
// given without a patch counts as its newest release.
bool HasFix(const int v[3], int fix34, int fix35) {
  if (v[0] != 3) return v[0] > 3;
  if (v[1] >= 6) return true;
  if (v[1] < 4) return false;
  const int fix = v[1] == 4 ? fix34 : fix35;
  return v[2] < 0 || v[2] >= fix;
}

}  // namespace

Result<HashKvRules> HashKvRulesFor(std::string_view version) {
  if (version.empty() || version == "latest") return HashKvRules{};
  int v[3];
  if (!ParseVersion(version, v)) {
    return Status::InvalidArgument("etcd version \"" + std::string(version) +
                                   "\" is not MAJOR.MINOR or MAJOR.MINOR.PATCH (e.g. 3.4.23, "
                                   "3.5, 3.6.0)");
  }
  if (v[0] < 3 || (v[0] == 3 && v[1] < 3)) {
    return Status::InvalidArgument("etcd " + std::string(version) +
                                   " has no HashKV (it came with 3.3.0)");
  }
  HashKvRules r;
  r.allows_rev_at_compaction = HasFix(v, 27, 10);
  r.skips_tombstone_at_compaction = HasFix(v, 34, 16);
  r.current_rev_covers_scheduled = HasFix(v, 32, 14);
  return r;
}

StoreRevisions RestoredRevisions(const StoreMeta& meta, int64_t last_main,
                                 const HashKvRules& rules) {
  StoreRevisions s;
  if (meta.finished_compact) s.compact = *meta.finished_compact;
  s.current = std::max<int64_t>(last_main > 0 ? last_main : 1, s.compact);
  const int64_t scheduled = meta.scheduled_compact.value_or(0);
  if (scheduled != 0 && scheduled > s.compact) {
    // restore() resumes the compaction: updateCompactRev refuses a revision above the current
    // one (ErrFutureRev), unless the current revision was raised to it first.
    if (rules.current_rev_covers_scheduled) s.current = std::max(s.current, scheduled);
    if (scheduled <= s.current) s.compact = scheduled;
  }
  return s;
}

Status CheckHashRevision(int64_t rev, const StoreRevisions& store, const HashKvRules& rules) {
  if (rev <= 0) return Status::Ok();  // the current revision: never refused
  if (rev < store.compact || (rev == store.compact && !rules.allows_rev_at_compaction)) {
    return Status::InvalidArgument("mvcc: required revision has been compacted (revision " +
                                   std::to_string(rev) + ", compacted at " +
                                   std::to_string(store.compact) + ")");
  }
  if (rev > store.current) {
    return Status::InvalidArgument("mvcc: required revision is a future revision (revision " +
                                   std::to_string(rev) + ", latest " +
                                   std::to_string(store.current) + ")");
  }
  return Status::Ok();
}

KvHasher::KvHasher(int64_t rev) : rev_(rev > 0 ? rev : std::numeric_limits<int64_t>::max()) {}

KvHasher::~KvHasher() = default;

uint64_t KvHasher::memory_bytes() const { return capacity_ * sizeof(Slot); }

const KvHasher::Slot* KvHasher::Find(const Hash128& h) const {
  if (capacity_ == 0) return nullptr;
  const uint64_t mask = capacity_ - 1;
  for (uint64_t i = h.lo & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if ((s.flags & kUsed) == 0) return nullptr;
    if (s.key == h) return &s;
  }
}

KvHasher::Slot* KvHasher::FindOrInsert(const Hash128& h) {
  if ((size_ + 1) * 4 > capacity_ * 3) Grow();  // load factor at most 3/4
  const uint64_t mask = capacity_ - 1;
  for (uint64_t i = h.lo & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if ((s.flags & kUsed) == 0) {
      s.key = h;
      s.flags = kUsed | kTombstone;  // "no revision yet": the caller sets one
      ++size_;
      return &s;
    }
    if (s.key == h) return &s;
  }
}

void KvHasher::Grow() {
  const uint64_t old_capacity = capacity_;
  std::unique_ptr<Slot[]> old = std::move(slots_);
  capacity_ = old_capacity == 0 ? kInitialCapacity : old_capacity * 2;
  slots_ = std::make_unique<Slot[]>(capacity_);
  const uint64_t mask = capacity_ - 1;
  for (uint64_t j = 0; j < old_capacity; ++j) {
    if ((old[j].flags & kUsed) == 0) continue;
    uint64_t i = old[j].key.lo & mask;
    while ((slots_[i].flags & kUsed) != 0) i = (i + 1) & mask;
    slots_[i] = old[j];
  }
}

Status KvHasher::Index(const KeyWalk& walk) {
  last_main_ = 0;
  return walk([&](const KeyEntry& e, bool*) -> Status {
    last_main_ = e.revision.main;
    if (e.revision.main > rev_) return Status::Ok();  // only the last revision is wanted now
    Result<KeyValue> kv = DecodeKeyValue(e.value);
    if (!kv.ok()) {
      return kv.status().Annotate("revision " + std::to_string(e.revision.main) + "_" +
                                  std::to_string(e.revision.sub));
    }
    if (e.revision.sub < 0 || e.revision.sub > std::numeric_limits<uint32_t>::max()) {
      return Status::Unsupported("revision " + std::to_string(e.revision.main) +
                                 " has sub revision " + std::to_string(e.revision.sub) +
                                 ", beyond what a transaction can make");
    }
    Slot* s = FindOrInsert(HashBytes128(kv->key));
    const bool was_live = (s->flags & kTombstone) == 0;
    const uint32_t sub = static_cast<uint32_t>(e.revision.sub);
    // Bucket order is revision order; a file that breaks it keeps the highest revision.
    if (s->main > e.revision.main || (s->main == e.revision.main && s->sub > sub)) {
      return Status::Ok();
    }
    s->main = e.revision.main;
    s->sub = sub;
    s->flags = kUsed | (e.revision.tombstone ? kTombstone : 0);
    const bool live = !e.revision.tombstone;
    if (was_live && !live) --live_;
    if (!was_live && live) ++live_;
    return Status::Ok();
  });
}

Result<std::vector<uint32_t>> KvHasher::Hash(const KeyWalk& walk,
                                             const std::vector<HashRequest>& requests) const {
  std::vector<uint32_t> crc(requests.size(), crc32c::Value("key"));
  int64_t max_compact = std::numeric_limits<int64_t>::min();
  for (const HashRequest& r : requests) max_compact = std::max(max_compact, r.compact_revision);
  const bool keep_nonempty = live_ > 0;
  Status s = walk([&](const KeyEntry& e, bool* stop) -> Status {
    const int64_t main = e.revision.main;
    if (main > rev_) {
      *stop = true;  // revision order: nothing after this is hashed
      return Status::Ok();
    }
    // Is this entry its key's latest revision <= rev_ and not a deletion (in the keep set)?
    // Only asked for entries at or below some compact revision.
    bool kept = false;
    if (keep_nonempty && main <= max_compact) {
      Result<KeyValue> kv = DecodeKeyValue(e.value);
      if (!kv.ok()) return kv.status().Annotate("revision " + std::to_string(main));
      const Slot* slot = Find(HashBytes128(kv->key));
      kept = slot != nullptr && (slot->flags & kTombstone) == 0 && slot->main == main &&
             slot->sub == static_cast<uint32_t>(e.revision.sub);
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      const HashRequest& r = requests[i];
      if (main <= r.compact_revision && keep_nonempty && !kept) continue;
      if (r.skip_tombstone_at_compaction && main == r.compact_revision && e.revision.tombstone) {
        continue;
      }
      crc[i] = crc32c::Extend(crc32c::Extend(crc[i], e.key), e.value);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return crc;
}

}  // namespace etcdsnap::etcd
