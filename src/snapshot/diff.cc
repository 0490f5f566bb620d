#include "etcdsnap/snapshot/diff.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "etcdsnap/bolt/bucket.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/etcd/hash_kv.h"
#include "etcdsnap/etcd/key_bucket.h"
#include "etcdsnap/etcd/key_table.h"
#include "etcdsnap/etcd/key_value.h"
#include "etcdsnap/etcd/kubernetes.h"
#include "etcdsnap/etcd/member.h"
#include "etcdsnap/etcd/store_meta.h"
#include "etcdsnap/snapshot/manifest.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/hash128.h"

namespace etcdsnap::snapshot {
namespace {

// Resources whose objects churn by design (heartbeats, TTL'd records, endpoint lists): shown
// only with --all or by name.
bool Noisy(const std::optional<etcd::RegistryKey>& k, std::string_view key) {
  if (!k) return key == etcd::kCompactRevKey;
  if (!k->group.empty()) return false;
  return k->resource == "events" || k->resource == "leases" || k->resource == "endpoints" ||
         k->resource == "endpointslices" || k->resource == "masterleases";
}

// One file reduced to its keys' latest states; KeyRecord::tag and tag2 hold a 64-bit hash of
// the latest value.
struct Side {
  DiffSide info;
  etcd::KeyTable table;
};

Status ReadMemberIds(const bolt::File& file, std::string_view bucket, std::vector<uint64_t>* ids) {
  auto opened = bolt::OpenBucket(file, bucket);
  if (!opened.ok()) {
    return opened.status().code() == Code::kNotFound ? Status::Ok()
                                                     : opened.status().Annotate(file.path());
  }
  bolt::Cursor& c = **opened;
  Status s = c.First();
  for (; s.ok() && c.Valid(); s = c.Next()) {
    const std::string_view hex = bolt::View(c.key());
    uint64_t id = 0;
    const auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), id, 16);
    if (ec == std::errc() && end == hex.data() + hex.size()) ids->push_back(id);
  }
  return s.ok() ? Status::Ok() : s.Annotate(file.path() + ": bucket \"" + std::string(bucket) + "\"");
}

Result<std::unique_ptr<Side>> Load(const std::string& path, std::vector<std::string>* warnings) {
  auto side = std::make_unique<Side>();
  side->info.path = path;
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(path));
  auto explain = [&plain](const Status& s) { return Status(s.code(), plain.Explain(s.message())); };
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return explain(opened.status());
  const std::unique_ptr<bolt::File> file = std::move(opened).value();
  int64_t last_main = 0;
  Status s = etcd::ForEachKeyEntry(*file, [&](const etcd::KeyEntry& e, bool*) -> Status {
    Result<etcd::KeyValue> kv = etcd::DecodeKeyValue(e.value);
    if (!kv.ok()) {
      return Status::Corruption(file->path() + ": bucket \"key\": revision " +
                                std::to_string(e.revision.main) + ": " + kv.status().message());
    }
    last_main = e.revision.main;
    bool inserted = false;
    Result<etcd::KeyRecord*> r = side->table.Apply(e.revision, *kv, &inserted);
    if (!r.ok()) return r.status().Annotate(file->path() + ": bucket \"key\"");
    if (!e.revision.tombstone) {
      const Hash128 h = HashBytes128(kv->value);
      (*r)->tag = static_cast<uint32_t>(h.lo);
      (*r)->tag2 = static_cast<uint32_t>(h.lo >> 32);
    }
    return Status::Ok();
  });
  if (!s.ok()) return explain(s);
  Result<etcd::StoreMeta> meta = etcd::ReadStoreMeta(*file);
  if (!meta.ok()) return explain(meta.status());
  const etcd::StoreRevisions store = etcd::RestoredRevisions(*meta, last_main, etcd::HashKvRules{});
  side->info.revision = store.current;
  side->info.compact_revision = store.compact;
  for (size_t i = 0; i < side->table.size(); ++i) side->info.live_keys += !side->table[i].deleted;
  for (std::string_view bucket : {"members", "members_removed"}) {
    s = ReadMemberIds(*file, bucket, &side->info.member_ids);
    if (!s.ok()) return explain(s);
  }
  std::sort(side->info.member_ids.begin(), side->info.member_ids.end());
  Result<std::optional<Manifest>> manifest = ReadManifest(path);
  if (!manifest.ok()) {
    warnings->push_back(manifest.status().message() + " (its cluster ID is not compared)");
  } else if (*manifest) {
    side->info.cluster_id = (*manifest)->cluster_id;
  }
  return side;
}

// Whether the two files show one etcd's history, with a warning when they do not.
bool SameHistory(const DiffSide& a, const DiffSide& b, std::vector<std::string>* warnings) {
  if (a.cluster_id && b.cluster_id && *a.cluster_id != *b.cluster_id) {
    warnings->push_back(a.path + " and " + b.path + " come from different clusters (cluster " +
                        etcd::IdString(*a.cluster_id) + " and " + etcd::IdString(*b.cluster_id) +
                        " in their manifests): objects are compared by value");
    return false;
  }
  std::vector<uint64_t> shared;
  std::set_intersection(a.member_ids.begin(), a.member_ids.end(), b.member_ids.begin(),
                        b.member_ids.end(), std::back_inserter(shared));
  if (shared.empty() && !a.member_ids.empty() && !b.member_ids.empty()) {
    warnings->push_back(a.path + " and " + b.path +
                        " share no member ID: different clusters, or a restore in between "
                        "with other member names or peer URLs; objects are compared by value, "
                        "recreations cannot be told");
    return false;
  }
  return true;
}

}  // namespace

const char* ChangeName(Change c) {
  switch (c) {
    case Change::kAdded:
      return "added";
    case Change::kRemoved:
      return "removed";
    case Change::kRecreated:
      return "recreated";
    case Change::kModified:
      return "modified";
    case Change::kUnchanged:
      break;
  }
  return "unchanged";
}

Result<DiffReport> Diff(const DiffOptions& o) {
  DiffReport report;
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<Side> a, Load(o.a, &report.warnings));
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<Side> b, Load(o.b, &report.warnings));
  report.a = a->info;
  report.b = b->info;
  report.by_value = !SameHistory(a->info, b->info, &report.warnings);
  if (!report.by_value) {
    // Shared member IDs do not prove one history: a restore with the same names, peer URLs and
    // token gives the same IDs (etcd derives them from those), and two clusters bootstrapped
    // alike have them too; their revisions then reuse numbers for other values. A key whose mod
    // revision is the same in both files but whose value is not shows it.
    size_t split = 0;
    std::string example;
    for (size_t i = 0; i < a->table.size(); ++i) {
      const etcd::KeyRecord& ra = a->table[i];
      const etcd::KeyRecord* rb = b->table.Find(ra.key());
      if (ra.deleted || rb == nullptr || rb->deleted || ra.mod_revision != rb->mod_revision) {
        continue;
      }
      if (ra.tag != rb->tag || ra.tag2 != rb->tag2 || ra.value_size != rb->value_size ||
          ra.create_revision != rb->create_revision) {
        if (split++ == 0) example = std::string(ra.key());
      }
    }
    if (split > 0) {
      report.by_value = true;
      report.warnings.push_back(
          o.a + " and " + o.b + " hold different values at the same revision for " +
          std::to_string(split) + " key" + (split == 1 ? "" : "s") + " (" +
          bolt::Quote(example) +
          "): their histories split (a restore from an older snapshot in between, or two "
          "clusters bootstrapped alike); objects are compared by value, recreations cannot be "
          "told");
    }
  }
  if (b->info.revision < a->info.revision) {
    report.warnings.push_back(
        "the revision of " + o.b + " (" + std::to_string(b->info.revision) + ") is below " + o.a +
        "'s (" + std::to_string(a->info.revision) +
        "): it is the older one, or the cluster was restored from an older snapshot in between");
  }

  // Per resource, keyed by (prefix, group, path); outside the prefixes is ("", "", "").
  std::map<std::tuple<std::string, std::string, std::string>, ResourceDiff> resources;
  size_t named = 0;  // resources in the map by name (not the outside row)
  ResourceDiff other{.resource = "(other)", .other = true};
  std::set<std::string> hidden;
  bool resource_seen = o.resource.empty();
  auto account = [&](std::string_view key, const etcd::KeyRecord* ra, const etcd::KeyRecord* rb) {
    const bool live_a = ra != nullptr && !ra->deleted, live_b = rb != nullptr && !rb->deleted;
    if (!live_a && !live_b) return;
    const auto k = etcd::ParseRegistryKey(key, o.prefixes);
    const std::string name = k ? etcd::QualifiedResource(k->resource, k->group) : "";
    if (!o.resource.empty()) {
      if (!k || (o.resource != name && o.resource != k->resource && o.resource != k->path)) return;
      resource_seen = true;
    }
    Change change = Change::kUnchanged;
    if (!live_a) {
      change = Change::kAdded;
    } else if (!live_b) {
      change = Change::kRemoved;
    } else if (report.by_value) {
      if (ra->tag != rb->tag || ra->tag2 != rb->tag2 || ra->value_size != rb->value_size) {
        change = Change::kModified;
      }
    } else if (ra->create_revision != rb->create_revision) {
      change = Change::kRecreated;
    } else if (ra->mod_revision != rb->mod_revision) {
      change = Change::kModified;
    }
    if (!o.all && o.resource.empty() && Noisy(k, key)) {
      if (change != Change::kUnchanged) {
        hidden.insert(k ? name : std::string(key));
        ++report.hidden_changes;
      }
      return;
    }
    ResourceDiff* row = nullptr;
    if (!k) {
      row = &resources[{}];
    } else {
      const auto id =
          std::make_tuple(std::string(k->prefix), std::string(k->group), std::string(k->path));
      if (auto it = resources.find(id); it != resources.end()) {
        row = &it->second;
      } else if (named < o.max_resources) {
        ++named;
        row = &resources[id];
        row->prefix = k->prefix;
        row->group = k->group;
        row->resource = k->resource;
        row->path = k->path;
      } else {
        report.resources_capped = true;
        row = &other;
      }
    }
    ResourceDiff& r = *row;
    const uint64_t bytes_a = live_a ? ra->bytes() : 0, bytes_b = live_b ? rb->bytes() : 0;
    r.bytes_a += bytes_a;
    r.bytes_b += bytes_b;
    switch (change) {
      case Change::kAdded: ++r.added; break;
      case Change::kRemoved: ++r.removed; break;
      case Change::kRecreated: ++r.recreated; break;
      case Change::kModified: ++r.modified; break;
      case Change::kUnchanged: ++r.unchanged; break;
    }
    if (o.keys && change != Change::kUnchanged) {
      report.keys.push_back({std::string(key), name, change, bytes_a, bytes_b,
                             live_a ? ra->mod_revision : 0, live_b ? rb->mod_revision : 0});
    }
  };
  for (size_t i = 0; i < a->table.size(); ++i) {
    const etcd::KeyRecord& ra = a->table[i];
    account(ra.key(), &ra, b->table.Find(ra.key()));
  }
  for (size_t i = 0; i < b->table.size(); ++i) {
    const etcd::KeyRecord& rb = b->table[i];
    if (a->table.Find(rb.key()) == nullptr) account(rb.key(), nullptr, &rb);
  }
  if (!resource_seen) {
    report.warnings.push_back("no key of resource \"" + o.resource + "\" in " + o.a + " or " +
                              o.b);
  }

  for (auto& [id, r] : resources) report.resources.push_back(std::move(r));
  if (report.resources_capped) report.resources.push_back(std::move(other));
  // By changes; the (other) row, then the keys outside the prefixes, last.
  auto rank = [](const ResourceDiff& d) { return d.other ? 1 : d.resource.empty() ? 2 : 0; };
  std::stable_sort(report.resources.begin(), report.resources.end(),
                   [&rank](const ResourceDiff& x, const ResourceDiff& y) {
                     if (rank(x) != rank(y)) return rank(x) < rank(y);
                     return x.changes() > y.changes();
                   });
  report.hidden.assign(hidden.begin(), hidden.end());
  std::sort(report.keys.begin(), report.keys.end(), [](const KeyDiff& x, const KeyDiff& y) {
    return std::tie(x.resource, x.key) < std::tie(y.resource, y.key);
  });
  return report;
}

}  // namespace etcdsnap::snapshot
