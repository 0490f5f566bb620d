// `etcdsnap snapshot inspect <file>`: what fills the etcd a snapshot came from, per Kubernetes
// resource, namespace and key (snapshot/inspect.h), as tables with a bar per row (-w table, the
// default) or one JSON object (-w json).
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/json_writer.h"
#include "etcdsnap/cli/table.h"
#include "etcdsnap/etcd/kubernetes.h"
#include "etcdsnap/snapshot/inspect.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

using snapshot::InspectReport;
using snapshot::KeyFigures;
using snapshot::ResourceReport;

constexpr size_t kBarWidth = 20;

// A bar as long as `value` is against the largest row's `max`, and `value`'s share of `total`.
std::string Bar(uint64_t value, uint64_t max, uint64_t total) {
  const size_t n =
      max == 0 ? 0
               : static_cast<size_t>((static_cast<double>(value) * kBarWidth + max / 2) / max);
  char share[16];
  std::snprintf(share, sizeof share, "%5.1f%%",
                total == 0 ? 0.0 : 100.0 * static_cast<double>(value) / static_cast<double>(total));
  return std::string(n, '#') + std::string(kBarWidth - std::min(n, kBarWidth), ' ') + " " + share;
}

std::string Num(uint64_t n) { return std::to_string(n); }

// "pods", "widgets.example.com" (kubectl's resource.group); with several prefixes, the prefix
// too.
std::string ResourceName(const ResourceReport& r, bool show_prefix) {
  const std::string name = etcd::QualifiedResource(r.resource, r.group);
  return show_prefix ? r.prefix + " " + name : name;
}

std::string Section(const std::string& title, const std::string& table) {
  return "\n" + title + "\n" + table;
}

std::string KeyTable(const std::vector<KeyFigures>& keys, bool revisions_first) {
  std::vector<std::vector<std::string>> rows;
  for (const KeyFigures& k : keys) {
    const std::string latest = k.live ? HumanizeBytes(k.bytes) : "deleted";
    if (revisions_first) {
      rows.push_back({k.key, Num(k.revisions), HumanizeBytes(k.bytes_all_revisions), latest});
    } else {
      rows.push_back({k.key, latest, Num(k.revisions), HumanizeBytes(k.bytes_all_revisions)});
    }
  }
  return revisions_first
             ? RenderTable({"key", "revisions", "all revisions", "bytes"}, rows)
             : RenderTable({"key", "bytes", "revisions", "all revisions"}, rows);
}

}  // namespace

// Encryption at rest: for every resource once any object is encrypted, a row per key (a
// rotation shows as two rows of one resource); the counts of a resource on its first row. One
// key a cell: KMS v2 key IDs are ARNs or URLs of ~100 bytes, and several in one cell would be
// cut at kMaxCellBytes.
std::string EncryptionSection(const InspectReport& r, bool show_prefix) {
  bool any_encrypted = false;
  for (const ResourceReport& res : r.resources) any_encrypted |= !res.encryption.empty();
  if (!any_encrypted) return "\nENCRYPTION AT REST: no object is encrypted\n";
  std::vector<std::vector<std::string>> rows;
  for (const ResourceReport& res : r.resources) {
    if (res.objects == 0) continue;
    std::vector<std::string> row = {ResourceName(res, show_prefix), Num(res.objects),
                                    Num(res.plain), Num(res.objects - res.plain), "-", "-"};
    if (res.encryption.empty()) rows.push_back(row);
    for (size_t i = 0; i < res.encryption.size(); ++i) {
      const snapshot::EncryptionCount& e = res.encryption[i];
      if (i > 0) row = {row[0], "", "", "", "", ""};
      // A KMS v2 key ID in brackets: IDs are often ARNs or URLs, which hold colons.
      row[4] = e.provider + ":" + e.version + ":" + e.key_name +
               (e.key_id.empty() ? "" : "[" + e.key_id + "]");
      row[5] = Num(e.objects);
      rows.push_back(row);
    }
  }
  return Section("ENCRYPTION AT REST (live objects; provider:version:key[kms v2 key ID])",
                 RenderTable({"resource", "objects", "plain", "encrypted", "key", "with key"},
                             rows));
}

namespace {

std::string PrintTable(const InspectReport& r, const snapshot::InspectOptions& o) {
  std::string out = r.path + (r.compression == Compression::kNone
                                  ? ""
                                  : std::string(" (") + CompressionName(r.compression) + ")") +
                    "\n";
  out += "  size      " + HumanizeBytes(r.db_size) + " of pages: " +
         HumanizeBytes(r.in_use_bytes) + " in use, " + HumanizeBytes(r.free_bytes) + " free (" +
         Num(r.free_pages) + " of " + Num(r.pages) + " pages of " + Num(r.page_size) +
         " bytes; a defragmentation gives the free ones back)\n";
  out += "  revision  " + std::to_string(r.revision) +
         (r.compact_revision < 0 ? ", never compacted"
          : r.compaction_pending
              ? ", compaction at " + std::to_string(r.compact_revision) +
                    " still running when saved (the figures count what it keeps)"
              : ", compacted at " + std::to_string(r.compact_revision)) +
         (r.compact_rev_key ? " (compact_rev_key " + std::to_string(*r.compact_rev_key) + ")"
                            : "") +
         "\n";
  out += "  keys      " + Num(r.keys) + " (" + Num(r.live_keys) + " live) in " + Num(r.revisions) +
         " revisions (" + Num(r.deletes) + " deletions): " + HumanizeBytes(r.user_bytes) +
         " of keys and values, " + HumanizeBytes(r.stored_bytes) + " as stored\n";

  // Resources, by the bytes they hold in the file.
  const bool show_prefix = o.prefixes.size() > 1;
  uint64_t max = r.outside.bytes_all_revisions;
  for (const ResourceReport& res : r.resources) max = std::max(max, res.bytes_all_revisions);
  std::vector<std::vector<std::string>> rows;
  for (const ResourceReport& res : r.resources) {
    rows.push_back({ResourceName(res, show_prefix), Num(res.objects), HumanizeBytes(res.bytes),
                    HumanizeBytes(res.bytes_all_revisions), Num(res.revisions),
                    Bar(res.bytes_all_revisions, max, r.user_bytes)});
  }
  if (r.outside.revisions > 0) {
    rows.push_back({"(outside " + (o.prefixes.size() == 1 ? o.prefixes[0] + "/" : "the prefixes") +
                        ")",
                    Num(r.outside.objects), HumanizeBytes(r.outside.bytes),
                    HumanizeBytes(r.outside.bytes_all_revisions), Num(r.outside.revisions),
                    Bar(r.outside.bytes_all_revisions, max, r.user_bytes)});
  }
  if (r.resources_capped) {
    out += "\nnote: more than " + Num(o.max_resources) +
           " distinct resources (a crafted file?): the rest are summed in the (other) row\n";
  }
  out += Section("RESOURCES (bytes: keys and values at the latest revision; all revisions: every "
                 "revision the file keeps)",
                 RenderTable({"resource", "objects", "bytes", "all revisions", "revisions",
                              "share of all revisions"},
                             rows));

  if (!r.largest.empty()) {
    out += Section("LARGEST OBJECTS", KeyTable(r.largest, false));
  }
  if (!r.most_revised.empty()) {
    out += Section("MOST REVISED KEYS", KeyTable(r.most_revised, true));
  }

  // Namespaces, by bytes: the top N, the rest together, and cluster-scoped objects; the bars
  // are scaled to the largest of these rows.
  struct NsRow {
    std::string name;
    uint64_t objects, bytes;
  };
  std::vector<NsRow> ns_rows;
  uint64_t ns_total = r.cluster_scoped.bytes;
  for (size_t i = 0; i < r.namespaces.size(); ++i) {
    const snapshot::NamespaceReport& ns = r.namespaces[i];
    ns_total += ns.bytes;
    if (i < o.top) {
      ns_rows.push_back({ns.name, ns.objects, ns.bytes});
    } else if (i == o.top) {
      ns_rows.push_back({"(" + Num(r.namespaces.size() - o.top) + " more)", ns.objects, ns.bytes});
    } else {
      ns_rows.back().objects += ns.objects;
      ns_rows.back().bytes += ns.bytes;
    }
  }
  if (r.other_namespaces.objects > 0) {
    ns_total += r.other_namespaces.bytes;
    ns_rows.push_back({"(other: past " + Num(o.max_namespaces) + " namespaces)",
                       r.other_namespaces.objects, r.other_namespaces.bytes});
  }
  if (r.cluster_scoped.objects > 0) {
    ns_rows.push_back({"(cluster-scoped)", r.cluster_scoped.objects, r.cluster_scoped.bytes});
  }
  uint64_t ns_max = 0;
  for (const NsRow& row : ns_rows) ns_max = std::max(ns_max, row.bytes);
  rows.clear();
  for (const NsRow& row : ns_rows) {
    rows.push_back({row.name, Num(row.objects), HumanizeBytes(row.bytes),
                    Bar(row.bytes, ns_max, ns_total)});
  }
  if (!rows.empty()) {
    out += Section("NAMESPACES (live objects)",
                   RenderTable({"namespace", "objects", "bytes", "share"}, rows));
  }

  // Storage versions: what each resource's live objects are stored as.
  rows.clear();
  for (const ResourceReport& res : r.resources) {
    for (const snapshot::TypeCount& t : res.types) {
      rows.push_back({ResourceName(res, show_prefix), t.encoding,
                      t.api_version.empty() ? "-" : t.api_version, t.kind.empty() ? "-" : t.kind,
                      Num(t.objects)});
    }
  }
  if (!rows.empty()) {
    out += Section("STORAGE VERSIONS (live objects not encrypted)",
                   RenderTable({"resource", "encoding", "api version", "kind", "objects"}, rows));
  }

  out += EncryptionSection(r, show_prefix);

  // Leases.
  out += "\nLEASES: " + Num(r.leases.leases) + " in the file, " + Num(r.leases.keys) +
         " live keys attached" +
         (r.leases.keys_on_missing > 0
              ? " (" + Num(r.leases.keys_on_missing) + " of them to leases the file lacks)"
              : "") +
         "\n";
  if (!r.leases.ttls.empty()) {
    rows.clear();
    for (size_t i = 0; i < r.leases.ttls.size() && i < o.top; ++i) {
      const auto& t = r.leases.ttls[i];
      rows.push_back({std::to_string(t.ttl) + "s", Num(t.leases), Num(t.keys)});
    }
    out += RenderTable({"ttl", "leases", "keys"}, rows);
  }

  if (!r.outside.largest.empty()) {
    out += Section("KEYS OUTSIDE " + (o.prefixes.size() == 1 ? o.prefixes[0] + "/" : "THE PREFIXES") +
                       " (largest)",
                   KeyTable(r.outside.largest, false));
  }
  return out;
}

nlohmann::ordered_json KeysJson(const std::vector<KeyFigures>& keys) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const KeyFigures& k : keys) {
    out.push_back({{"key", k.key},
                   {"bytes", k.bytes},
                   {"revisions", k.revisions},
                   {"bytesAllRevisions", k.bytes_all_revisions},
                   {"live", k.live}});
  }
  return out;
}

// Writes the report as one JSON object, the per-resource and per-namespace arrays element by
// element (JsonObjectWriter): memory holds one element's document at a time, not the whole
// report's (a review measured 743 MB for a crafted file's 200,000 namespaces built as one
// document).
bool WriteJson(const InspectReport& r, const snapshot::InspectOptions& o, std::FILE* f) {
  using J = nlohmann::ordered_json;
  JsonObjectWriter w(f);
  auto member = [&w](std::string_view name, const J& value) { w.Member(name, value); };
  auto array = [&w](std::string_view name, size_t size, const std::function<J(size_t)>& element) {
    w.Array(name, size, element);
  };

  member("path", r.path);
  member("compression", CompressionName(r.compression));
  member("file", {{"size", r.file_size},
                  {"dbSize", r.db_size},
                  {"inUse", r.in_use_bytes},
                  {"free", r.free_bytes},
                  {"pageSize", r.page_size},
                  {"pages", r.pages},
                  {"freePages", r.free_pages}});
  member("revision", r.revision);
  member("compactRevision", r.compact_revision);
  member("compactionPending", r.compaction_pending);
  member("compactRevKey", r.compact_rev_key ? J(*r.compact_rev_key) : J(nullptr));
  member("keys", {{"distinct", r.keys},
                  {"live", r.live_keys},
                  {"revisions", r.revisions},
                  {"deletes", r.deletes},
                  {"bytesAllRevisions", r.user_bytes},
                  {"storedBytes", r.stored_bytes}});
  member("limits", {{"maxResources", o.max_resources},
                    {"resourcesCapped", r.resources_capped},
                    {"maxNamespaces", o.max_namespaces},
                    {"namespacesCapped", r.other_namespaces.objects > 0}});
  array("resources", r.resources.size(), [&](size_t i) {
    const ResourceReport& res = r.resources[i];
    J types = J::array(), keys = J::array();
    for (const snapshot::TypeCount& t : res.types) {
      types.push_back({{"encoding", t.encoding},
                       {"apiVersion", t.api_version},
                       {"kind", t.kind},
                       {"objects", t.objects}});
    }
    for (const snapshot::EncryptionCount& e : res.encryption) {
      keys.push_back({{"provider", e.provider},
                      {"version", e.version},
                      {"keyName", e.key_name},
                      {"keyID", e.key_id},
                      {"objects", e.objects}});
    }
    return J{{"resource", res.resource},
             {"group", res.group},
             {"prefix", res.prefix},
             {"path", res.path},
             {"other", res.other},
             {"objects", res.objects},
             {"bytes", res.bytes},
             {"bytesAllRevisions", res.bytes_all_revisions},
             {"revisions", res.revisions},
             {"deletes", res.deletes},
             {"withLease", res.with_lease},
             {"storageVersions", std::move(types)},
             {"encryption", {{"plain", res.plain}, {"keys", std::move(keys)}}}};
  });
  member("largest", KeysJson(r.largest));
  member("mostRevised", KeysJson(r.most_revised));
  array("namespaces", r.namespaces.size(), [&](size_t i) {
    const snapshot::NamespaceReport& ns = r.namespaces[i];
    return J{{"namespace", ns.name}, {"objects", ns.objects}, {"bytes", ns.bytes}};
  });
  member("otherNamespaces",
         {{"objects", r.other_namespaces.objects}, {"bytes", r.other_namespaces.bytes}});
  member("clusterScoped", {{"objects", r.cluster_scoped.objects}, {"bytes", r.cluster_scoped.bytes}});
  member("outside", {{"objects", r.outside.objects},
                     {"bytes", r.outside.bytes},
                     {"bytesAllRevisions", r.outside.bytes_all_revisions},
                     {"revisions", r.outside.revisions},
                     {"largest", KeysJson(r.outside.largest)}});
  J ttls = J::array();
  for (const auto& t : r.leases.ttls) {
    ttls.push_back({{"ttl", t.ttl}, {"leases", t.leases}, {"keys", t.keys}});
  }
  member("leases", {{"leases", r.leases.leases},
                    {"keys", r.leases.keys},
                    {"keysOnMissingLeases", r.leases.keys_on_missing},
                    {"ttls", std::move(ttls)}});
  return w.Finish();
}

}  // namespace

Result<std::vector<std::string>> PrefixFlag(const CommandLine& cl) {
  if (!cl.Has("prefix")) return std::vector<std::string>{std::string(etcd::kRegistryPrefix)};
  std::vector<std::string> prefixes;
  for (const std::string& value : cl.flags.at("prefix")) {
    for (size_t start = 0; start <= value.size();) {
      const size_t comma = std::min(value.find(',', start), value.size());
      const std::string given = value.substr(start, comma - start);
      if (given.empty()) {
        return Status::InvalidArgument(
            "--prefix: an empty prefix (give the apiserver's --etcd-prefix, e.g. /registry)");
      }
      // The apiserver joins "/" and its prefix: "registry", "/registry" and "/registry/" are
      // one prefix, and "/" puts resources at the root.
      std::string p = given[0] == '/' ? given : "/" + given;
      while (!p.empty() && p.back() == '/') p.pop_back();
      prefixes.push_back(p);
      start = comma + 1;
    }
  }
  return prefixes;
}

int RunInspect(const GlobalOptions& g, const CommandLine& cl) {
  if (cl.args.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot inspect requires exactly one argument");
  }
  if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
  if (g.write_out == "fields") {
    return ExitWithError(kExitBadFeature,
                         "snapshot inspect prints -w table (the default) or -w json, not fields");
  }
  snapshot::InspectOptions options;
  options.path = cl.args[0];
  auto prefixes = PrefixFlag(cl);
  if (!prefixes.ok()) return ExitWithError(kExitBadArgs, prefixes.status().message());
  options.prefixes = *prefixes;
  if (cl.Has("top")) {
    auto top = ParseGoUint64(cl.Last("top"));
    if (!top.ok() || *top > 1000000) {
      return ExitWithError(kExitBadArgs, "--top must be a count from 0 to 1000000");
    }
    options.top = static_cast<size_t>(*top);
  }
  Result<InspectReport> report = snapshot::Inspect(options);
  if (!report.ok()) return ExitWithError(kExitError, report.status().message());
  if (g.write_out == "json") {
    const bool written = WriteJson(*report, options, stdout);
    return std::fflush(stdout) == 0 && written ? kExitSuccess : kExitIO;
  }
  const std::string out = PrintTable(*report, options);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
}

}  // namespace etcdsnap::cli
