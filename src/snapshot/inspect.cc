#include "etcdsnap/snapshot/inspect.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/hash_kv.h"
#include "etcdsnap/etcd/key_table.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/kubernetes.h"
#include "etcdsnap/etcd/lease.h"
#include "etcdsnap/etcd/store_meta.h"
#include "etcdsnap/util/siphash.h"

namespace etcdsnap::snapshot {
namespace {

using etcd::ValueEncoding;

constexpr uint32_t kOutside = std::numeric_limits<uint32_t>::max();
// Distinct value types kept by name; past this (a crafted file), only the encoding is kept.
constexpr size_t kMaxTypes = size_t{1} << 16;

// Dense ids for strings, looked up without copying the probe. The strings come from the file:
// a keyed hash (SipHash, a random key per process), or keys crafted to share a bucket would make
// every lookup a walk of one long chain.
class Interner {
 public:
  // The id of `s` and whether it is new.
  std::pair<uint32_t, bool> Intern(std::string_view s) {
    if (auto id = Find(s)) return {*id, false};
    const uint32_t id = static_cast<uint32_t>(ids_.size());
    ids_.emplace(std::string(s), id);
    return {id, true};
  }
  std::optional<uint32_t> Find(std::string_view s) const {
    const auto it = ids_.find(s);
    return it == ids_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  }
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, uint32_t, SipStringHash, std::equal_to<>> ids_;
};

struct TypeInfo {
  ValueEncoding encoding = ValueEncoding::kOther;
  std::string api_version, kind, provider, version, key_name, key_id;
};

// Figures of one kind per resource (types, encryption keys), counted into a map.
using CountMap = std::map<std::pair<uint32_t, uint32_t>, uint64_t>;

// Receives every entry of the Check() walk: bucket `key` into the key table and the
// per-resource history figures, bucket `lease` into the lease table. The first error stops
// the collection (the walk itself goes on; Finish reports it).
class Collector : public bolt::EntryVisitor {
 public:
  // `compact_revision`: the compaction whose keep rule the history figures follow (KeyTable).
  Collector(const InspectOptions& o, int64_t compact_revision)
      : options_(o), table_(compact_revision) {}

  void OnEntry(const bolt::Entry& e) override {
    if (!error_.ok()) return;
    if (e.depth == 0) {
      const std::string_view name = bolt::View(e.key);
      bucket_ = name == etcd::kKeyBucket     ? Bucket::kKey
                : name == etcd::kLeaseBucket ? Bucket::kLease
                                             : Bucket::kOther;
      seen_key_bucket_ |= bucket_ == Bucket::kKey;
      return;
    }
    if (e.depth != 1 || bucket_ == Bucket::kOther) return;
    if (e.is_bucket) {
      Fail(std::string("bucket \"") + (bucket_ == Bucket::kKey ? "key" : "lease") +
           "\" holds a nested bucket " + bolt::Quote(bolt::View(e.key), 48));
      return;
    }
    if (bucket_ == Bucket::kKey) {
      OnKeyEntry(e);
    } else {
      OnLeaseEntry(e);
    }
  }

  const Status& error() const { return error_; }
  bool seen_key_bucket() const { return seen_key_bucket_; }
  bool resources_capped() const { return other_resource_.has_value(); }
  int64_t last_main() const { return last_main_; }
  const etcd::KeyTable& table() const { return table_; }
  // The resources with their history figures (revisions, deletes, bytes over all revisions),
  // which the walk adds up entry by entry; the rest comes from the key table.
  const std::vector<ResourceReport>& resources() const { return resources_; }
  const ResourceReport& outside() const { return outside_; }
  const std::vector<TypeInfo>& types() const { return types_; }
  // Lease ID -> TTL, sorted by ID, one per ID (the last one read), once SortLeases() ran after the
  // walk: a sorted vector, not a hash map, since the IDs come from the file and libstdc++ hashes
  // an integer to itself (IDs built to share a bucket made a 2.4 MB file take 2.9 s).
  const std::vector<std::pair<int64_t, int64_t>>& lease_ttls() const { return lease_ttls_; }
  void SortLeases() {
    std::stable_sort(lease_ttls_.begin(), lease_ttls_.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    // Of equal IDs keep the last read, as assigning into a map would.
    std::vector<std::pair<int64_t, int64_t>> unique;
    for (const auto& l : lease_ttls_) {
      if (!unique.empty() && unique.back().first == l.first) unique.back() = l;
      else unique.push_back(l);
    }
    lease_ttls_.swap(unique);
  }
  const std::pair<int64_t, int64_t>* FindLease(int64_t id) const {
    const auto& l = lease_ttls();
    const auto it = std::lower_bound(l.begin(), l.end(), id,
                                     [](const auto& x, int64_t v) { return x.first < v; });
    return it != l.end() && it->first == id ? &*it : nullptr;
  }
  const std::optional<int64_t>& compact_rev_key() const { return compact_rev_key_; }
  uint64_t revisions() const { return revisions_; }
  uint64_t deletes() const { return deletes_; }
  uint64_t stored_bytes() const { return stored_bytes_; }
  uint64_t user_bytes() const { return user_bytes_; }

 private:
  enum class Bucket { kKey, kLease, kOther };

  // Totals never go below zero: a change takes back only what an earlier one added.
  static void Add(uint64_t* total, int64_t delta) { *total += static_cast<uint64_t>(delta); }

  void Fail(std::string message) {
    if (error_.ok()) error_ = Status::Corruption(std::move(message));
  }

  void OnKeyEntry(const bolt::Entry& e) {
    Result<etcd::Revision> rev = etcd::ParseRevisionKey(e.key);
    if (!rev.ok()) {
      Fail("bucket \"key\": entry " + bolt::Quote(bolt::View(e.key), 48) + ": " +
           rev.status().message());
      return;
    }
    Result<etcd::KeyValue> kv = etcd::DecodeKeyValue(e.value);
    if (!kv.ok()) {
      Fail("bucket \"key\": revision " + std::to_string(rev->main) + ": " +
           kv.status().message());
      return;
    }
    last_main_ = rev->main;
    bool inserted = false;
    etcd::HistoryChange c;
    Result<etcd::KeyRecord*> r =
        table_.Apply(*rev, *kv, &inserted, &c, e.key.size() + e.value.size());
    if (!r.ok()) {
      Fail("bucket \"key\": " + r.status().message());
      return;
    }
    // The history figures count what a pending compaction keeps (KeyTable), so an entry can
    // take back what an earlier one of its key added.
    Add(&revisions_, c.revisions);
    Add(&deletes_, c.deletes);
    Add(&stored_bytes_, c.stored_bytes);
    Add(&user_bytes_, c.bytes);
    etcd::KeyRecord& rec = **r;
    if (inserted) rec.tag = ResourceOf(kv->key);
    ResourceReport& res = rec.tag == kOutside ? outside_ : resources_[rec.tag];
    Add(&res.revisions, c.revisions);
    Add(&res.deletes, c.deletes);
    Add(&res.bytes_all_revisions, c.bytes);
    if (rev->tombstone) return;
    rec.tag2 = TypeOf(kv->value);
    if (kv->key == etcd::kCompactRevKey) {
      int64_t v = 0;
      const auto [end, ec] =
          std::from_chars(kv->value.data(), kv->value.data() + kv->value.size(), v);
      if (ec == std::errc() && end == kv->value.data() + kv->value.size()) compact_rev_key_ = v;
    }
  }

  void OnLeaseEntry(const bolt::Entry& e) {
    Result<etcd::Lease> lease = etcd::DecodeLease(e.value);
    if (!lease.ok()) {
      Fail("bucket \"lease\": entry " + bolt::Quote(bolt::View(e.key), 48) + ": " +
           lease.status().message());
      return;
    }
    lease_ttls_.emplace_back(lease->id, lease->ttl);
  }

  // The index in resources_ of the key's resource: the interned id, or past the cap the one
  // "(other)" row (made last, when the cap is reached: no id is interned after it).
  uint32_t ResourceOf(std::string_view key) {
    const auto k = etcd::ParseRegistryKey(key, options_.prefixes);
    if (!k) return kOutside;
    scratch_.assign(k->prefix);
    scratch_.push_back('\0');
    scratch_.append(k->group);
    scratch_.push_back('\0');
    scratch_.append(k->path);
    if (auto known = resource_ids_.Find(scratch_)) return *known;
    if (resource_ids_.size() >= options_.max_resources) {
      if (!other_resource_) {
        other_resource_ = static_cast<uint32_t>(resources_.size());
        resources_.push_back({.other = true, .resource = "(other)"});
      }
      return *other_resource_;
    }
    const auto [id, fresh] = resource_ids_.Intern(scratch_);
    if (fresh) {
      resources_.push_back({.prefix = std::string(k->prefix),
                            .group = std::string(k->group),
                            .resource = std::string(k->resource),
                            .path = std::string(k->path)});
    }
    return id;
  }

  uint32_t TypeOf(std::string_view value) {
    etcd::ValueType t = etcd::DetectValueType(value);
    if (types_.size() >= kMaxTypes) t = etcd::ValueType{.encoding = t.encoding};
    scratch_.assign(1, static_cast<char>(t.encoding));
    for (std::string_view part :
         {t.api_version, t.kind, t.provider, t.provider_version, t.key_name, t.key_id}) {
      scratch_.push_back('\0');
      scratch_.append(part);
    }
    const auto [id, fresh] = type_ids_.Intern(scratch_);
    if (fresh) {
      types_.push_back({t.encoding, std::string(t.api_version), std::string(t.kind),
                        std::string(t.provider), std::string(t.provider_version),
                        std::string(t.key_name), std::string(t.key_id)});
    }
    return id;
  }

  const InspectOptions& options_;
  Status error_;
  Bucket bucket_ = Bucket::kOther;
  bool seen_key_bucket_ = false;
  int64_t last_main_ = 0;
  uint64_t revisions_ = 0, deletes_ = 0, stored_bytes_ = 0, user_bytes_ = 0;
  etcd::KeyTable table_;
  Interner resource_ids_, type_ids_;
  std::optional<uint32_t> other_resource_;  // the "(other)" row, once the cap is reached
  std::vector<ResourceReport> resources_;
  ResourceReport outside_;
  std::vector<TypeInfo> types_;
  std::vector<std::pair<int64_t, int64_t>> lease_ttls_;  // (lease ID, TTL)
  std::optional<int64_t> compact_rev_key_;
  std::string scratch_;
};

KeyFigures FiguresOf(const etcd::KeyRecord& r) {
  return {.key = std::string(r.key()),
          .bytes = r.bytes(),
          .bytes_all_revisions = r.bytes_all,
          .revisions = r.revisions,
          .live = !r.deleted};
}

// The first `n` of `candidates` (record indexes) in `before` order.
std::vector<KeyFigures> Top(const etcd::KeyTable& table, std::vector<uint32_t> candidates,
                            size_t n,
                            const std::function<bool(const etcd::KeyRecord&,
                                                     const etcd::KeyRecord&)>& before) {
  n = std::min(n, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<ptrdiff_t>(n),
                    candidates.end(),
                    [&](uint32_t a, uint32_t b) { return before(table[a], table[b]); });
  std::vector<KeyFigures> out;
  for (size_t i = 0; i < n; ++i) out.push_back(FiguresOf(table[candidates[i]]));
  return out;
}

bool LargerFirst(const etcd::KeyRecord& a, const etcd::KeyRecord& b) {
  if (a.bytes() != b.bytes()) return a.bytes() > b.bytes();
  return a.key() < b.key();
}

bool MoreRevisedFirst(const etcd::KeyRecord& a, const etcd::KeyRecord& b) {
  if (a.revisions != b.revisions) return a.revisions > b.revisions;
  if (a.bytes_all != b.bytes_all) return a.bytes_all > b.bytes_all;
  return a.key() < b.key();
}

// Adds up the latest state of every key into the report.
void Summarize(const Collector& c, const InspectOptions& o, InspectReport* report) {
  const etcd::KeyTable& table = c.table();
  const std::vector<TypeInfo>& types = c.types();
  std::vector<ResourceReport> resources = c.resources();
  CountMap type_counts;  // (resource, type) -> live objects
  // Keyed by views into the key table's keys; SipHash, as the Interner, since the names come
  // from the file. At most o.max_namespaces; the rest go to report->other_namespaces.
  std::unordered_map<std::string_view, NamespaceReport, SipStringHash, std::equal_to<>>
      namespaces;
  std::map<int64_t, LeaseTtlReport> ttls;
  for (const auto& [id, ttl] : c.lease_ttls()) {
    LeaseTtlReport& t = ttls[ttl];
    t.ttl = ttl;
    ++t.leases;
  }
  std::vector<uint32_t> live, revised, outside;
  for (uint32_t i = 0; i < table.size(); ++i) {
    const etcd::KeyRecord& r = table[i];
    if (r.revisions > 1) revised.push_back(i);
    if (r.deleted) continue;
    ++report->live_keys;
    live.push_back(i);
    if (r.lease != 0) {
      ++report->leases.keys;
      const auto* lease = c.FindLease(r.lease);
      if (lease == nullptr) {
        ++report->leases.keys_on_missing;
      } else {
        ++ttls[lease->second].keys;
      }
    }
    if (r.tag == kOutside) {
      ++report->outside.objects;
      report->outside.bytes += r.bytes();
      outside.push_back(i);
      continue;
    }
    ResourceReport& res = resources[r.tag];
    ++res.objects;
    res.bytes += r.bytes();
    res.with_lease += r.lease != 0;
    ++type_counts[{r.tag, r.tag2}];
    const auto key = etcd::ParseRegistryKey(r.key(), o.prefixes);
    NamespaceReport* ns = &report->cluster_scoped;
    if (!key->ns.empty()) {
      auto it = namespaces.find(key->ns);
      if (it != namespaces.end()) {
        ns = &it->second;
      } else if (namespaces.size() < o.max_namespaces) {
        ns = &namespaces[key->ns];
      } else {
        ns = &report->other_namespaces;
      }
    }
    ++ns->objects;
    ns->bytes += r.bytes();
  }
  for (const auto& [at, objects] : type_counts) {
    const TypeInfo& t = types[at.second];
    ResourceReport& res = resources[at.first];
    if (t.encoding == ValueEncoding::kEncrypted) {
      res.encryption.push_back({t.provider, t.version, t.key_name, t.key_id, objects});
    } else {
      res.plain += objects;
      res.types.push_back({etcd::ValueEncodingName(t.encoding), t.api_version, t.kind, objects});
    }
  }
  for (ResourceReport& res : resources) {
    std::stable_sort(res.types.begin(), res.types.end(),
                     [](const TypeCount& a, const TypeCount& b) { return a.objects > b.objects; });
    std::stable_sort(res.encryption.begin(), res.encryption.end(),
                     [](const EncryptionCount& a, const EncryptionCount& b) {
                       return a.objects > b.objects;
                     });
  }
  // A row is made when a resource's first key is read; a pending compaction may then take all
  // of its history back (every key's latest entry at or below C a deletion). The same history
  // compacted has no such row, so neither has the report.
  std::erase_if(resources, [](const ResourceReport& r) { return r.revisions == 0; });
  std::sort(resources.begin(), resources.end(),
            [](const ResourceReport& a, const ResourceReport& b) {
              if (a.other != b.other) return b.other;  // the (other) row last
              if (a.bytes_all_revisions != b.bytes_all_revisions) {
                return a.bytes_all_revisions > b.bytes_all_revisions;
              }
              return std::tie(a.prefix, a.group, a.path) < std::tie(b.prefix, b.group, b.path);
            });
  report->resources = std::move(resources);
  report->resources_capped = c.resources_capped();
  report->other_namespaces.name = "(other)";

  for (auto& [name, ns] : namespaces) {
    ns.name = std::string(name);
    report->namespaces.push_back(std::move(ns));
  }
  std::sort(report->namespaces.begin(), report->namespaces.end(),
            [](const NamespaceReport& a, const NamespaceReport& b) {
              return a.bytes != b.bytes ? a.bytes > b.bytes : a.name < b.name;
            });

  report->outside.revisions = c.outside().revisions;
  report->outside.bytes_all_revisions = c.outside().bytes_all_revisions;
  report->largest = Top(table, std::move(live), o.top, LargerFirst);
  report->most_revised = Top(table, std::move(revised), o.top, MoreRevisedFirst);
  report->outside.largest = Top(table, std::move(outside), o.top, LargerFirst);

  report->leases.leases = c.lease_ttls().size();
  for (const auto& [ttl, t] : ttls) report->leases.ttls.push_back(t);
  std::stable_sort(report->leases.ttls.begin(), report->leases.ttls.end(),
                   [](const LeaseTtlReport& a, const LeaseTtlReport& b) {
                     return a.keys > b.keys;
                   });
}

}  // namespace

Result<InspectReport> Inspect(const InspectOptions& o) {
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(o.path));
  auto explain = [&plain](const Status& s) { return Status(s.code(), plain.Explain(s.message())); };
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return explain(opened.status());
  const std::unique_ptr<bolt::File> file = std::move(opened).value();

  // The compaction marks first: a file saved while a compaction ran still holds what the member
  // opening it will remove, and the report describes what it keeps (the compact revision does
  // not depend on the walk under the newest rules). A meta that cannot be read is reported
  // after the integrity check, which names a damaged file better.
  Result<etcd::StoreMeta> meta = etcd::ReadStoreMeta(*file);
  const int64_t compact =
      meta.ok() ? etcd::RestoredRevisions(*meta, 0, etcd::HashKvRules{}).compact : -1;
  Collector collector(o, compact);
  bolt::CheckOptions check;
  check.visitor = &collector;
  check.max_errors = 1;
  const bolt::CheckResult checked = bolt::Check(*file, check);
  if (!checked.ok()) {
    return Status::Corruption(
        o.path + ": the integrity check failed with " + std::to_string(checked.error_count) +
        (checked.error_count == 1 ? " error" : " errors") + ", the first: " +
        plain.Explain(checked.errors.front()) + " (snapshot verify lists them)");
  }
  if (!collector.error().ok()) return collector.error().Annotate(o.path);
  collector.SortLeases();
  if (!collector.seen_key_bucket()) {
    return Status::Corruption(o.path + ": it has no bucket \"key\" (not an etcd backend?)");
  }
  if (!meta.ok()) return explain(meta.status());

  InspectReport report;
  report.path = o.path;
  report.compression = plain.compression();
  struct stat st {};
  report.file_size = ::stat(o.path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size)
                                                       : file->file_size();
  report.page_size = file->page_size();
  report.pages = checked.high_water;
  report.free_pages = checked.free_pages;
  report.db_size = file->db_size();
  report.in_use_bytes = checked.reachable_pages * file->page_size();
  report.free_bytes = checked.free_pages * file->page_size();
  const etcd::StoreRevisions store =
      etcd::RestoredRevisions(*meta, collector.last_main(), etcd::HashKvRules{});
  report.revision = store.current;
  report.compact_revision = store.compact;
  report.compaction_pending = store.compact >= 0 && store.compact != meta->finished_compact;
  report.compact_rev_key = collector.compact_rev_key();
  // Keys the pending compaction removes whole (their latest entry at or below it a deletion)
  // are not counted.
  for (size_t i = 0; i < collector.table().size(); ++i) {
    report.keys += collector.table()[i].revisions > 0;
  }
  report.revisions = collector.revisions();
  report.deletes = collector.deletes();
  report.stored_bytes = collector.stored_bytes();
  report.user_bytes = collector.user_bytes();
  report.index_bytes = collector.table().memory_bytes();
  Summarize(collector, o, &report);
  return report;
}

}  // namespace etcdsnap::snapshot
