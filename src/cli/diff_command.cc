// `etcdsnap snapshot diff <a> <b>`: what changed between two snapshots, per Kubernetes resource
// (snapshot/diff.h), as a table (-w table, the default) or one JSON object (-w json); warnings
// (two clusters, b older than a) on stderr and in the JSON.
#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/json_writer.h"
#include "etcdsnap/cli/log.h"
#include "etcdsnap/cli/table.h"
#include "etcdsnap/etcd/kubernetes.h"
#include "etcdsnap/etcd/member.h"
#include "etcdsnap/snapshot/diff.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

using snapshot::DiffReport;
using snapshot::DiffSide;
using snapshot::ResourceDiff;

std::string Num(uint64_t n) { return std::to_string(n); }

// "+1.2 MB", "-300 B", "0 B".
std::string Delta(uint64_t a, uint64_t b) {
  if (a == b) return "0 B";
  return b > a ? "+" + HumanizeBytes(b - a) : "-" + HumanizeBytes(a - b);
}

std::string Outside(const std::vector<std::string>& prefixes) {
  return "(outside " + (prefixes.size() == 1 ? prefixes[0] + "/" : "the prefixes") + ")";
}

std::string SideLine(const std::string& label, const DiffSide& s) {
  return label + ": " + s.path + ", revision " + std::to_string(s.revision) +
         (s.compact_revision < 0 ? "" : " (compacted at " + std::to_string(s.compact_revision) + ")") +
         ", " + Num(s.live_keys) + " live keys\n";
}

std::string PrintTable(const DiffReport& r, const snapshot::DiffOptions& o) {
  std::string out = SideLine("a", r.a) + SideLine("b", r.b);
  if (r.by_value) out += "compared by value: the files show no common history\n";
  if (r.resources_capped) {
    out += "note: more than " + Num(o.max_resources) +
           " distinct resources (a crafted file?): the rest are summed in the (other) row\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const ResourceDiff& d : r.resources) {
    rows.push_back({d.resource.empty() ? Outside(o.prefixes)
                                       : etcd::QualifiedResource(d.resource, d.group),
                    Num(d.added), Num(d.removed), Num(d.recreated), Num(d.modified),
                    Num(d.unchanged), HumanizeBytes(d.bytes_a), HumanizeBytes(d.bytes_b),
                    Delta(d.bytes_a, d.bytes_b)});
  }
  out += "\n" + RenderTable({"resource", "added", "removed", "recreated", "modified", "unchanged",
                             "bytes a", "bytes b", "change"},
                            rows);
  if (!r.hidden.empty()) {
    std::string names;
    for (const std::string& h : r.hidden) names += (names.empty() ? "" : ", ") + h;
    out += "hidden: " + names + " (" + Num(r.hidden_changes) +
           " changed objects; --all or --resource shows them)\n";
  }
  if (o.keys && !r.keys.empty()) {
    rows.clear();
    for (const snapshot::KeyDiff& k : r.keys) {
      rows.push_back({snapshot::ChangeName(k.change), k.key,
                      k.change == snapshot::Change::kAdded ? "-" : HumanizeBytes(k.bytes_a),
                      k.change == snapshot::Change::kRemoved ? "-" : HumanizeBytes(k.bytes_b)});
    }
    out += "\nCHANGED KEYS\n" + RenderTable({"change", "key", "bytes a", "bytes b"}, rows);
  }
  return out;
}

nlohmann::ordered_json SideJson(const DiffSide& s) {
  nlohmann::ordered_json members = nlohmann::ordered_json::array();
  for (uint64_t id : s.member_ids) members.push_back(etcd::IdString(id));
  nlohmann::ordered_json j = {{"path", s.path},
                              {"revision", s.revision},
                              {"compactRevision", s.compact_revision},
                              {"liveKeys", s.live_keys},
                              {"members", members}};
  j["clusterId"] = s.cluster_id ? nlohmann::ordered_json(etcd::IdString(*s.cluster_id))
                                : nlohmann::ordered_json(nullptr);
  return j;
}

// One JSON object, written as it is made (JsonObjectWriter): with --keys the changed keys can be
// as many as the files' keys, and memory holds one key's document at a time.
bool WriteJson(const DiffReport& r, const snapshot::DiffOptions& o, std::FILE* f) {
  using J = nlohmann::ordered_json;
  JsonObjectWriter w(f);
  w.Member("a", SideJson(r.a));
  w.Member("b", SideJson(r.b));
  w.Member("comparedByValue", r.by_value);
  w.Member("warnings", r.warnings);
  w.Array("resources", r.resources.size(), [&r](size_t i) {
    const ResourceDiff& d = r.resources[i];
    return J{{"resource", d.resource},
             {"group", d.group},
             {"prefix", d.prefix},
             {"path", d.path},
             {"other", d.other},
             {"added", d.added},
             {"removed", d.removed},
             {"recreated", d.recreated},
             {"modified", d.modified},
             {"unchanged", d.unchanged},
             {"bytesA", d.bytes_a},
             {"bytesB", d.bytes_b}};
  });
  w.Member("hidden", r.hidden);
  w.Member("hiddenChanges", r.hidden_changes);
  if (o.keys) {
    w.Array("keys", r.keys.size(), [&r](size_t i) {
      const snapshot::KeyDiff& k = r.keys[i];
      return J{{"key", k.key},
               {"resource", k.resource},
               {"change", snapshot::ChangeName(k.change)},
               {"bytesA", k.bytes_a},
               {"bytesB", k.bytes_b},
               {"modRevisionA", k.mod_revision_a},
               {"modRevisionB", k.mod_revision_b}};
    });
  }
  return w.Finish();
}

}  // namespace

int RunDiff(const GlobalOptions& g, const CommandLine& cl) {
  if (cl.args.size() != 2) {
    return ExitWithError(kExitBadArgs, "snapshot diff requires exactly two arguments: <a> <b>");
  }
  if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
  if (g.write_out == "fields") {
    return ExitWithError(kExitBadFeature,
                         "snapshot diff prints -w table (the default) or -w json, not fields");
  }
  snapshot::DiffOptions options;
  options.a = cl.args[0];
  options.b = cl.args[1];
  auto prefixes = PrefixFlag(cl);
  if (!prefixes.ok()) return ExitWithError(kExitBadArgs, prefixes.status().message());
  options.prefixes = *prefixes;
  options.all = cl.Last("all") == "true";
  options.keys = cl.Last("keys") == "true";
  options.resource = cl.Last("resource");
  Result<DiffReport> report = snapshot::Diff(options);
  if (!report.ok()) return ExitWithError(kExitError, report.status().message());
  for (const std::string& w : report->warnings) PrintWarning(w);
  if (g.write_out == "json") {
    const bool written = WriteJson(*report, options, stdout);
    return std::fflush(stdout) == 0 && written ? kExitSuccess : kExitIO;
  }
  const std::string out = PrintTable(*report, options);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitSuccess : kExitIO;
}

}  // namespace etcdsnap::cli
