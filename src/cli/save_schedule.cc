#include "save_schedule.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "etcdsnap/cli/command.h"
#include "etcdsnap/cli/version.h"
#include "etcdsnap/snapshot/manifest.h"
#include "etcdsnap/util/file.h"
#include "etcdsnap/util/human.h"

namespace etcdsnap::cli {
namespace {

std::string Hex(uint64_t id) { return fmt::format("{:x}", id); }

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

snapshot::Manifest ManifestFor(const snapshot::SaveResult& r) {
  snapshot::Manifest m;
  m.file = BaseName(r.path);
  m.size = r.file_size;
  m.sha256 = r.file_sha256_hex;
  m.compression = r.compression;
  m.snapshot_size = r.size;
  m.snapshot_sha256 = r.sha256_hex;
  m.revision = r.revision;
  m.cluster_id = r.member.cluster_id;
  m.member_id = r.member.member_id;
  m.endpoint = r.endpoint;
  m.server_version = r.member.version;
  m.raft_term = r.member.raft_term;
  m.raft_index = r.member.raft_index;
  m.db_size = r.member.db_size;
  m.db_size_in_use = r.member.db_size_in_use;
  m.tool = ToolName();
  m.started = r.started;
  m.finished = r.finished;
  return m;
}

}  // namespace

Result<ScheduleFlags> ReadScheduleFlags(const CommandLine& cl, const std::string& write_out) {
  ScheduleFlags f;
  f.keep = ReadKeepFlags(cl);
  if (cl.Has("lock-timeout")) {
    ETCDSNAP_ASSIGN_OR_RETURN(f.lock_timeout, ParseSignedGoDuration(cl.Last("lock-timeout")));
    if (f.lock_timeout.count() < 0) {
      return Status::InvalidArgument("--lock-timeout must not be negative (0 exits at once when "
                                     "another save runs; 10m waits up to ten minutes)");
    }
    f.lock_timeout_given = true;
  }
  f.manifest = cl.Last("manifest") == "true";
  f.metrics_file = cl.Last("metrics-file");
  f.json_summary = write_out == "json";
  return f;
}

Result<SaveSchedule> SaveSchedule::Prepare(const std::string& file, const ScheduleFlags& flags) {
  // `save -` streams to stdout: there is no file to describe or series to prune, and stdout
  // holds the snapshot, so -w json prints no summary there (as the simple format prints no line).
  if (file == "-" && (flags.manifest || flags.keep.keep.any())) {
    return Status::InvalidArgument(std::string(flags.manifest ? "--manifest" : "--keep-*") +
                                   " needs a file: with `snapshot save -` the snapshot goes to "
                                   "stdout (write the manifest or prune where it lands)");
  }
  ScheduleFlags f = flags;
  if (file == "-") f.json_summary = false;
  ETCDSNAP_ASSIGN_OR_RETURN(snapshot::NameTemplate t, snapshot::NameTemplate::Parse(file));
  if (flags.keep.keep.any()) {
    ETCDSNAP_RETURN_IF_ERROR(snapshot::CheckPolicyFits(t, flags.keep.keep));
  } else if (flags.keep.dry_run) {
    return Status::InvalidArgument("--dry-run lists what the --keep-* flags would remove: give "
                                   "at least one of them");
  }
  return SaveSchedule(std::move(t), std::move(f));
}

void SaveSchedule::Configure(snapshot::SaveOptions& o, spdlog::logger& log) const {
  for (const std::string& l : template_.lookalikes()) {
    log.warn("{} in {} is not a name template field, so the name is used as it is (fields: "
             "%Y %m %d %H %M %S ..., {{revision}}, {{member}}, {{cluster}})",
             l, template_.path());
  }
  // The manifest and the JSON summary give the file's own sha256 (what sha256sum prints).
  o.hash_file = flags_.manifest || flags_.json_summary;
  if (!template_.is_template()) return;
  // The .part is named after the template itself, so two saves of one template share (and
  // lock) one .part; the final name is known once the snapshot is in.
  o.final_path_no_replace = true;
  o.final_path = [this](const snapshot::SaveResult& r) -> Result<std::string> {
    return template_.Expand({std::chrono::floor<std::chrono::seconds>(r.started), r.revision,
                             r.member.member_id, r.member.cluster_id});
  };
}

Result<snapshot::SaveResult> SaveSchedule::SaveWaiting(const snapshot::SaveOptions& o,
                                                       Canceller* canceller,
                                                       spdlog::logger& log) const {
  std::optional<snapshot::SaveResult> saved;
  LockWait wait{.timeout = flags_.lock_timeout,
                .canceller = canceller,
                .on_wait = [&](const Status&) {
                  log.info("waiting for another save to finish part={}.part lock-timeout={}",
                           o.path, FormatGoDuration(flags_.lock_timeout));
                }};
  const std::string lock_path = RunLockPath();
  ETCDSNAP_RETURN_IF_ERROR(WaitWhileBusy(wait, [&]() -> Status {
    if (!lock_path.empty()) {
      ETCDSNAP_ASSIGN_OR_RETURN(run_lock_,
                                LockFile(lock_path, "another save of " + template_.path() +
                                                        " is in progress (" + lock_path +
                                                        " is locked); wait for it to finish"));
    }
    ETCDSNAP_ASSIGN_OR_RETURN(snapshot::SaveResult r, snapshot::Save(o, canceller, log));
    saved = std::move(r);
    return Status::Ok();
  }));
  return std::move(*saved);
}

std::string SaveSchedule::RunLockPath() const {
  const std::string& path = template_.path();
  if (path == "-") return "";
  if (!template_.is_template() && !flags_.manifest && !flags_.keep.keep.any() &&
      !flags_.lock_timeout_given) {
    return "";  // a plain save, as etcdctl's: its locked .part is enough
  }
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." + path + ".lock"
                                    : path.substr(0, slash + 1) + "." + path.substr(slash + 1) +
                                          ".lock";
}

int SaveSchedule::BusyExitCode() const {
  return template_.is_template() || flags_.lock_timeout_given ? kExitBusy : kExitInterrupted;
}

Result<std::optional<snapshot::PruneResult>> SaveSchedule::AfterSave(
    const snapshot::SaveResult& r, spdlog::logger& log, bool prune) const {
  if (r.path == "-") return std::optional<snapshot::PruneResult>();  // stdout: no file here
  if (flags_.manifest) {
    Status s = snapshot::WriteManifest(r.path, ManifestFor(r));
    if (!s.ok()) {
      return Status(s.code(), "saved to " + r.path + ", but " + s.message() +
                                  "; the snapshot is complete (no old snapshot was removed)");
    }
    log.info("wrote manifest path={}", snapshot::ManifestPath(r.path));
  } else if (auto stale = snapshot::ReadManifest(r.path); stale.ok() && stale->has_value()) {
    // An earlier save --manifest to this name left a manifest of the file just replaced: it
    // would make status and verify report a mismatch. Only a file in our manifest format goes.
    if (::unlink(snapshot::ManifestPath(r.path).c_str()) == 0) {
      log.info("removed the manifest of the replaced snapshot path={}",
               snapshot::ManifestPath(r.path));
    }
  }
  if (!flags_.keep.keep.any() || !prune) return std::optional<snapshot::PruneResult>();
  // The new file's own series (its {cluster} and {member}): another cluster's or member's
  // backups in the same directory are theirs to prune.
  const auto own = template_.Match(BaseName(r.path));
  auto pruned = snapshot::Prune(template_, {.keep = flags_.keep.keep,
                                            .dry_run = flags_.keep.dry_run,
                                            .series = own ? own->series : std::string(),
                                            .protect = r.path});
  if (!pruned.ok()) {
    return Status(pruned.status().code(), "saved to " + r.path + ", but removing old snapshots "
                                          "failed: " + pruned.status().message());
  }
  LogPruned(*pruned, flags_.keep.dry_run, log);
  return std::optional<snapshot::PruneResult>(std::move(pruned).value());
}

void LogPruned(const snapshot::PruneResult& r, bool dry_run, spdlog::logger& log) {
  for (const std::string& path : r.removed) {
    log.info("{} path={}", dry_run ? "would remove old snapshot (--dry-run)" : "removed old snapshot",
             path);
  }
  log.info("applied retention kept={} {}={}", r.kept.size(), dry_run ? "would-remove" : "removed",
           r.removed.size());
}

std::string SaveSchedule::SummaryJson(const snapshot::SaveResult& r,
                                      const std::optional<snapshot::PruneResult>& pruned,
                                      const std::string& cluster_check_json) const {
  nlohmann::ordered_json j = {
      {"path", r.path},
      {"size", r.file_size},
      {"sha256", r.file_sha256_hex},
      {"snapshotSize", r.size},
      {"snapshotSha256", r.sha256_hex},
      {"compression", r.compression},
      {"revision", r.revision},
      {"endpoint", r.endpoint},
      {"cluster", Hex(r.member.cluster_id)},
      {"member", Hex(r.member.member_id)},
      {"serverVersion", r.member.version},
      {"started", snapshot::FormatRfc3339(r.started)},
      {"finished", snapshot::FormatRfc3339(r.finished)},
      {"durationSeconds", std::chrono::duration<double>(r.took).count()},
  };
  if (flags_.manifest) j["manifest"] = snapshot::ManifestPath(r.path);
  if (pruned) {
    j["pruned"] = {{"dryRun", flags_.keep.dry_run}, {"removed", pruned->removed}};
  }
  if (!cluster_check_json.empty()) {
    j["clusterCheck"] = nlohmann::ordered_json::parse(cluster_check_json, nullptr, false);
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace etcdsnap::cli
