// The `snapshot diff` use case: what changed between two snapshots of one etcd (a older, b
// newer), per Kubernetes resource: objects added, removed, recreated (same key, a new create
// revision: deleted and made again, a new uid), modified and unchanged, with their bytes; with
// the keys themselves on request. Each file is reduced to the latest state of every key in one
// walk of bucket `key` (etcd/key_table.h); memory is one record per key of each file.
//
// Within one etcd's history a key's revisions say what happened: equal mod revisions mean the
// same value, no byte compare needed. Two files that share no member ID, whose manifests name
// different clusters, or that hold different values at one key's same mod revision (a restore
// with the same member names and URLs keeps the IDs but reuses revision numbers) are compared by
// value instead (a hash of each latest value), and "recreated" cannot be told. That and b's
// revision below a's are warnings.
//
// Leases, events, endpoints and endpointslices, masterleases and compact_rev_key change all
// the time and say little about a cluster's state: hidden unless `all` (or asked by name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

struct DiffOptions {
  std::string a, b;
  std::vector<std::string> prefixes = {"/registry"};  // as InspectOptions::prefixes
  bool all = false;         // show the noisy resources too
  std::string resource;     // only this one ("pods", "widgets.example.com", "services/specs")
  bool keys = false;        // list the changed keys
  // Resources reported by name; past this many (a crafted file), the rest are summed in one
  // "(other)" row, as inspect does.
  size_t max_resources = 10000;
};

enum class Change { kAdded, kRemoved, kRecreated, kModified, kUnchanged };
const char* ChangeName(Change c);  // "added", "removed", "recreated", "modified", "unchanged"

struct ResourceDiff {
  std::string prefix, group, resource, path;  // as ResourceReport; all empty: outside the prefixes
  bool other = false;  // the resources past DiffOptions::max_resources (resource "(other)")
  uint64_t added = 0, removed = 0, recreated = 0, modified = 0, unchanged = 0;
  uint64_t bytes_a = 0, bytes_b = 0;  // key + value bytes of its live keys in each file
  uint64_t changes() const { return added + removed + recreated + modified; }
};

struct KeyDiff {
  std::string key;
  std::string resource;  // its resource's qualified name, "" outside the prefixes
  Change change = Change::kModified;
  uint64_t bytes_a = 0, bytes_b = 0;      // 0 where the key is not live
  int64_t mod_revision_a = 0, mod_revision_b = 0;
};

// One file's identity.
struct DiffSide {
  std::string path;
  int64_t revision = 0;
  int64_t compact_revision = -1;
  uint64_t live_keys = 0;
  std::vector<uint64_t> member_ids;    // buckets members and members_removed, ascending
  std::optional<uint64_t> cluster_id;  // from its manifest (`save --manifest`), when there is one
};

struct DiffReport {
  DiffSide a, b;
  bool by_value = false;  // compared by value: no sign the files share one history
  std::vector<std::string> warnings;
  std::vector<ResourceDiff> resources;  // by changes; then (other); outside the prefixes last
  bool resources_capped = false;         // some resources are summed in the (other) row
  std::vector<std::string> hidden;      // the noisy resources left out, with changes
  uint64_t hidden_changes = 0;
  std::vector<KeyDiff> keys;  // with DiffOptions::keys: the changed keys shown, by resource, key
};

// Reads both files and compares them. Errors name the file: missing, not bbolt, not an etcd
// backend, a damaged entry or page, a manifest that is not one.
Result<DiffReport> Diff(const DiffOptions& options);

}  // namespace etcdsnap::snapshot
