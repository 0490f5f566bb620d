// `etcdsnap snapshot verify <file> [-w simple|json]`: the sha256 trailer, both meta pages, the
// whole bbolt structure and etcd's schema, and the file against its manifest (<file>.json from
// `save --manifest`) when it has one. Prints what it checked and what it found; exit 0 only
// when everything is sound, 1 otherwise.
#include <nlohmann/json.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/snapshot/manifest.h"
#include "etcdsnap/snapshot/verify.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

struct VerifyFlags {
  std::vector<std::string> files;
  bool bolt_only = false;
  bool require_trailer = false;
};

using snapshot::TrailerState;
using snapshot::VerifyReport;

std::string N(uint64_t v) { return std::to_string(v); }

void AppendProblems(const std::vector<std::string>& list, uint64_t total, std::string* out) {
  for (const std::string& p : list) *out += "  - " + p + "\n";
  if (list.size() < total) *out += "  - ... and " + N(total - list.size()) + " more\n";
}

// What the file's manifest (`save --manifest`) says, when it has one.
struct ManifestVerdict {
  std::string path;
  bool ok = false;
  std::string problem;  // why not ok
};

// A manifest that the file does not match (or that cannot be read) is one more problem.
bool Fails(const std::optional<ManifestVerdict>& m) { return m && !m->ok; }

std::optional<ManifestVerdict> CheckAgainstManifest(const std::string& file) {
  auto check = snapshot::CheckManifest(file);
  if (!check.ok()) {
    return ManifestVerdict{snapshot::ManifestPath(file), false, check.status().message()};
  }
  if (!check->has_value()) return std::nullopt;
  const snapshot::ManifestCheck& c = **check;
  return ManifestVerdict{c.manifest_path, c.ok(), c.Mismatch()};
}

std::string Simple(const VerifyReport& r, const std::optional<ManifestVerdict>& manifest) {
  std::string out = "file: " + r.path + " (" + N(r.file_size) + " bytes" +
                    (r.compression != Compression::kNone
                         ? std::string(", ") + CompressionName(r.compression) + "-compressed in " +
                               N(r.compressed_size)
                         : std::string()) +
                    ")\n";
  switch (r.trailer) {
    case TrailerState::kAbsent:
      out += std::string("sha256 trailer: ") + (r.trailer_required ? "ABSENT" : "absent") +
             " (the size is a multiple of the page size): restore needs --skip-hash-check" +
             (r.trailer_required ? " (--require-trailer)" : "") + "\n";
      break;
    case TrailerState::kDamaged:
      out += "sha256 trailer: DAMAGED (size " + N(r.file_size) +
             " is neither a multiple of the page size " + N(r.page_size) +
             " nor that plus 32: the trailer was cut or bytes were appended; restore refuses "
             "the file)\n";
      break;
    case TrailerState::kMatch:
      out += "sha256 trailer: ok (" + r.trailer_actual + ")\n";
      break;
    case TrailerState::kMismatch:
      out += "sha256 trailer: MISMATCH (stored " + r.trailer_expected + ", computed " +
             r.trailer_actual + ")\n";
      break;
  }
  const bolt::Meta& m = r.metas.meta[r.metas.chosen];
  out += std::string("meta pages: ") + (r.meta_problems.empty() ? "ok" : "PROBLEMS") +
         " (page size " + N(r.page_size) + ", txid " + N(m.txid) + " from meta " +
         N(r.metas.chosen) + ", " + N(m.pgid) + " pages, " + HumanizeBytes(r.db_size) + ")\n";
  AppendProblems(r.meta_problems, r.meta_problems.size(), &out);
  const bolt::CheckResult& b = r.bolt;
  out += std::string("bbolt structure: ") + (b.ok() ? "ok" : "PROBLEMS") + " (" +
         N(b.reachable_pages) + " pages in use, " + N(b.free_pages) + " free, freelist " +
         (b.freelist_persisted ? "persisted" : "not persisted") + "; " + N(b.buckets) +
         " buckets, " + N(b.keys) + " keys)\n";
  AppendProblems(b.errors, b.error_count, &out);
  if (r.schema_checked) {
    const etcd::SchemaReport& s = r.schema;
    out += std::string("etcd schema: ") + (s.ok() ? "ok" : "PROBLEMS") + " (" +
           N(s.buckets.size()) + " buckets; " + N(s.revisions) + " revisions, latest " +
           std::to_string(s.latest_revision) + ", " + N(s.deletions) + " deletions; " +
           (s.has_consistent_index ? "consistent_index " + N(s.consistent_index)
                                   : std::string("no consistent_index")) +
           ")\n";
    AppendProblems(s.problems, s.problem_count, &out);
  } else {
    out += "etcd schema: not checked (--bolt-only)\n";
  }
  const bool manifest_bad = Fails(manifest);
  if (manifest) {
    out += manifest->ok ? "manifest: ok (size and sha256 match " + manifest->path + ")\n"
                        : "manifest: MISMATCH (" + manifest->problem + ")\n";
  }
  if (r.ok() && !manifest_bad) return out + "OK: " + r.path + " is sound\n";
  return out + "FAILED: " + N(r.problem_count() + (manifest_bad ? 1 : 0)) + " problems found in " +
         r.path + "\n";
}

std::string Json(const VerifyReport& r, const std::optional<ManifestVerdict>& manifest) {
  using Json = nlohmann::ordered_json;
  static const char* kTrailer[] = {"absent", "match", "mismatch", "damaged"};
  const bolt::Meta& m = r.metas.meta[r.metas.chosen];
  const bolt::CheckResult& b = r.bolt;
  Json out = {
      {"file", r.path},
      {"size", r.file_size},
      {"compression", CompressionName(r.compression)},
      {"ok", r.ok() && !Fails(manifest)},
      {"problemCount", r.problem_count() + (Fails(manifest) ? 1 : 0)},
      {"sha256",
       {{"state", kTrailer[static_cast<int>(r.trailer)]},
        {"required", r.trailer_required},
        {"stored", r.trailer_expected},
        {"computed", r.trailer_actual}}},
      {"meta",
       {{"pageSize", r.page_size},
        {"txid", m.txid},
        {"chosen", r.metas.chosen},
        {"highWater", m.pgid},
        {"dbSize", r.db_size},
        {"problems", r.meta_problems}}},
      {"bolt",
       {{"reachablePages", b.reachable_pages},
        {"freePages", b.free_pages},
        {"freelistPersisted", b.freelist_persisted},
        {"buckets", b.buckets},
        {"inlineBuckets", b.inline_buckets},
        {"keys", b.keys},
        {"errorCount", b.error_count},
        {"errors", b.errors}}},
  };
  if (r.schema_checked) {
    const etcd::SchemaReport& s = r.schema;
    out["etcd"] = {{"buckets", s.buckets},
                   {"revisions", s.revisions},
                   {"deletions", s.deletions},
                   {"latestRevision", s.latest_revision},
                   {"consistentIndex", s.has_consistent_index ? Json(s.consistent_index) : Json()},
                   {"problemCount", s.problem_count},
                   {"problems", s.problems}};
  }
  if (manifest) {
    out["manifest"] = {{"path", manifest->path}, {"ok", manifest->ok}, {"problem", manifest->problem}};
  }
  // Messages quote bytes from the file: invalid UTF-8 becomes U+FFFD rather than an exception.
  return out.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

int DoVerify(const GlobalOptions& g, const VerifyFlags& flags) {
  if (flags.files.size() != 1) {
    return ExitWithError(kExitBadArgs, "snapshot verify requires exactly one argument");
  }
  if (g.write_out != "simple" && g.write_out != "json") {
    if (int rc = ValidateOutputFormat(g.write_out, false); rc != kExitSuccess) return rc;
    return ExitWithError(kExitBadFeature, g.write_out +
                                              " not supported as output format (use "
                                              "simple or json)");
  }
  snapshot::VerifyOptions options;
  options.path = flags.files[0];
  options.check_schema = !flags.bolt_only;
  options.require_trailer = flags.require_trailer;
  Result<VerifyReport> report = snapshot::Verify(options);
  if (!report.ok()) return ExitWithError(kExitError, report.status().message());
  const auto manifest = CheckAgainstManifest(options.path);
  const std::string out =
      g.write_out == "json" ? Json(*report, manifest) : Simple(*report, manifest);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return report->ok() && !Fails(manifest) ? kExitSuccess : kExitError;
}

}  // namespace

int RunVerify(const GlobalOptions& g, const CommandLine& cl) {
  VerifyFlags flags;
  flags.files = cl.args;
  flags.bolt_only = cl.Last("bolt-only") == "true";
  flags.require_trailer = cl.Last("require-trailer") == "true";
  return DoVerify(g, flags);
}

}  // namespace etcdsnap::cli
