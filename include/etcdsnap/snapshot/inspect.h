// The `snapshot inspect` use case: what fills an etcd, read from a snapshot (or a member's db)
// file in one pass, Kubernetes-aware without a Kubernetes scheme (etcd/kubernetes.h): per
// resource, objects and bytes now and over the history the file keeps; the largest objects and
// the most revised keys; per namespace totals; the storage versions and encodings seen; which
// encryption provider and key each resource's objects were last written with; the keys outside
// the apiserver's prefix; the etcd leases keys hang on; and the file's size against the pages
// in use and free.
//
// One bolt::Check() walk (the integrity check status runs, which also counts the pages in use
// and free) feeds every entry to the report: memory is one record per distinct key
// (etcd/key_table.h) plus a few interned strings, whatever the file size; resources and
// namespaces past a cap are summed in one "(other)" row each. The history figures describe
// what etcd keeps: a compaction still to run (scheduledCompactRev above finishedCompactRev)
// is applied as the member opening the file will (etcd/key_table.h). The file is opened
// read-only; a compressed snapshot is read through a decompressed temporary copy
// (util/compression.h). No network: part of etcdsnap_inspect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

struct InspectOptions {
  std::string path;
  // The apiservers' --etcd-prefix values; keys under none of them are "outside".
  std::vector<std::string> prefixes = {"/registry"};
  size_t top = 10;  // entries in the top-N lists (largest, most revised, outside keys)
  // Distinct resources and namespaces reported by name; past these (a crafted file: Kubernetes
  // is tested up to 10,000 namespaces), the rest are summed in one "(other)" row each, so
  // memory and output stay bounded whatever the keys.
  size_t max_resources = 10000;
  size_t max_namespaces = 100000;
};

// Live objects of a resource stored as one encoding and apiVersion/kind (the storage version:
// what an apiserver wrote, e.g. a resource still half in v1beta1), or with one encryption key.
struct TypeCount {
  std::string encoding;  // protobuf, json, cbor, other (etcd::ValueEncodingName)
  std::string api_version;  // "" when the value does not say (cbor, other)
  std::string kind;
  uint64_t objects = 0;
};
struct EncryptionCount {
  std::string provider;  // aescbc, aesgcm, secretbox, kms, ...
  std::string version;   // the prefix's format version: v1, v2
  std::string key_name;  // the key's name in the EncryptionConfiguration (kms: the plugin's)
  std::string key_id;    // kms v2: the key ID the plugin reported (its KEK); "" otherwise
  uint64_t objects = 0;
};

// One resource: every key whose path has this prefix, group and resource path; or, `other`, the
// keys of every resource past InspectOptions::max_resources (prefix, group and path empty,
// resource "(other)").
struct ResourceReport {
  bool other = false;
  std::string prefix;    // "/registry"
  std::string group;     // the group in the key path; "" for built-ins
  std::string resource;  // the API resource ("services" for services/specs)
  std::string path;      // the path in the key ("services/specs")
  uint64_t objects = 0;              // live keys
  uint64_t bytes = 0;                // key + value bytes of the live keys, latest revision
  uint64_t bytes_all_revisions = 0;  // key + value bytes of every entry the file keeps
  uint64_t revisions = 0;            // entries the file keeps (puts and deletions)
  uint64_t deletes = 0;              // deletion entries among them
  uint64_t with_lease = 0;           // live keys attached to an etcd lease
  uint64_t plain = 0;                // live keys stored unencrypted
  std::vector<TypeCount> types;             // of the unencrypted live objects, by objects
  std::vector<EncryptionCount> encryption;  // of the encrypted live objects, by objects
};

struct KeyFigures {
  std::string key;
  uint64_t bytes = 0;                // at the latest revision (0 when deleted)
  uint64_t bytes_all_revisions = 0;  // over every entry the file keeps
  uint64_t revisions = 0;
  bool live = true;
};

struct NamespaceReport {
  std::string name;
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

struct LeaseTtlReport {
  int64_t ttl = 0;      // seconds, as granted
  uint64_t leases = 0;  // leases in bucket `lease` with that TTL
  uint64_t keys = 0;    // live keys attached to them
};

struct InspectReport {
  std::string path;
  Compression compression = Compression::kNone;
  // The file: its size on disk, bbolt's size (high-water mark × page size), the pages reachable
  // from the root (in use) and the free ones (a defragmentation would give them back).
  uint64_t file_size = 0;
  uint64_t db_size = 0;
  uint64_t in_use_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t page_size = 0;
  uint64_t pages = 0;
  uint64_t free_pages = 0;
  // The store as a member opening the file sees it.
  int64_t revision = 0;
  int64_t compact_revision = -1;            // -1: never compacted
  // The file was saved while the compaction at compact_revision ran (meta's scheduled mark
  // above its finished one): it still holds entries that compaction removes, which the history
  // figures leave out, as the member opening the file will.
  bool compaction_pending = false;
  std::optional<int64_t> compact_rev_key;   // the apiserver's last compaction request
  // Bucket `key`.
  uint64_t keys = 0;          // distinct keys
  uint64_t live_keys = 0;
  uint64_t revisions = 0;     // entries
  uint64_t deletes = 0;
  uint64_t stored_bytes = 0;  // revision keys + stored KeyValues, as the bucket holds them
  uint64_t user_bytes = 0;    // key + value bytes of every entry (the resources' sum)
  uint64_t index_bytes = 0;   // memory the per-key table held

  std::vector<ResourceReport> resources;   // by bytes over all revisions, then name
  std::vector<KeyFigures> largest;         // live keys by bytes (top N)
  std::vector<KeyFigures> most_revised;    // keys with 2+ revisions, by revisions (top N)
  std::vector<NamespaceReport> namespaces; // by bytes, then name (the first max_namespaces seen)
  NamespaceReport cluster_scoped;          // objects of cluster-scoped resources
  // The namespaces past max_namespaces, summed (name "(other)"; objects 0: none).
  NamespaceReport other_namespaces;
  bool resources_capped = false;  // resources past max_resources are summed in the (other) row
  // Keys under none of the prefixes.
  struct Outside {
    uint64_t objects = 0, bytes = 0, bytes_all_revisions = 0, revisions = 0;
    std::vector<KeyFigures> largest;  // top N live ones
  } outside;
  struct Leases {
    uint64_t leases = 0;               // entries in bucket `lease`
    uint64_t keys = 0;                 // live keys attached to a lease
    uint64_t keys_on_missing = 0;      // ... to a lease the bucket does not hold
    std::vector<LeaseTtlReport> ttls;  // by keys, then TTL
  } leases;
};

// Reads the file and builds the report. Errors name the file: missing, not bbolt, not an etcd
// backend (no bucket `key`), the integrity check failing (bolt::Check: the count and the first
// error), an entry of `key` that is not a revision and a KeyValue, a damaged lease.
Result<InspectReport> Inspect(const InspectOptions& options);

}  // namespace etcdsnap::snapshot
