// The etcdsnap-only side of `snapshot save` for scheduled runs: a name template for <file>,
// waiting for another save (--lock-timeout), the manifest, retention (--keep-*), the -w json
// summary. Everything here is opt-in: a plain file name without these flags saves exactly as
// etcdctl does. Kept apart from save_command.cc, which holds etcdctl's side.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "etcdsnap/cli/args.h"
#include "etcdsnap/cli/keep_flags.h"
#include "etcdsnap/snapshot/name_template.h"
#include "etcdsnap/snapshot/retention.h"
#include "etcdsnap/snapshot/save.h"
#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/file.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::cli {

struct ScheduleFlags {
  KeepFlags keep;
  std::chrono::nanoseconds lock_timeout{0};
  bool lock_timeout_given = false;
  bool manifest = false;
  std::string metrics_file;
  bool json_summary = false;  // -w json
};
// kInvalidArgument for a --lock-timeout that is negative.
Result<ScheduleFlags> ReadScheduleFlags(const CommandLine& cl, const std::string& write_out);

class SaveSchedule {
 public:
  // Before any network traffic: reads <file> as a name template and checks the --keep-* flags
  // against it. kInvalidArgument (exit 128) for a bad template or a policy it cannot serve.
  static Result<SaveSchedule> Prepare(const std::string& file, const ScheduleFlags& flags);

  // Warns about a plain name that only looks like a template ("{revison}"); sets the options a
  // template or the manifest needs.
  void Configure(snapshot::SaveOptions& o, spdlog::logger& log) const;

  // Save(), tried again while another run holds the run lock (or the .part) and --lock-timeout
  // allows. A scheduled run (a template, --manifest, --keep-*, --lock-timeout) first locks
  // "<dir>/.<file>.lock" and holds it until this object goes, so its manifest and retention
  // run before the next run saves. A template's expanded name never replaces an existing file.
  Result<snapshot::SaveResult> SaveWaiting(const snapshot::SaveOptions& o, Canceller* canceller,
                                           spdlog::logger& log) const;
  // The exit code for a .part held by another save: 75, except for a plain name without
  // --lock-timeout, which keeps exit 5 as before these flags existed.
  int BusyExitCode() const;

  // After a successful save: the manifest, then retention (only once the manifest is written:
  // old backups go only when the new one is complete), unless `prune` is false (a cluster check
  // found a mismatch). An error says the snapshot is saved. The prune result when a policy was
  // given and applied.
  Result<std::optional<snapshot::PruneResult>> AfterSave(const snapshot::SaveResult& r,
                                                         spdlog::logger& log,
                                                         bool prune = true) const;

  // The -w json summary: one object, one line; `cluster_check_json`, when not empty, is the
  // --check-cluster report (a JSON object) put under "clusterCheck".
  std::string SummaryJson(const snapshot::SaveResult& r,
                          const std::optional<snapshot::PruneResult>& pruned,
                          const std::string& cluster_check_json = "") const;

  const ScheduleFlags& flags() const { return flags_; }

 private:
  SaveSchedule(snapshot::NameTemplate t, ScheduleFlags flags)
      : template_(std::move(t)), flags_(std::move(flags)) {}
  // "" when this run takes no run lock.
  std::string RunLockPath() const;

  snapshot::NameTemplate template_;
  ScheduleFlags flags_;
  mutable UniqueFd run_lock_;
};

// Logs (or, with --dry-run, lists) what retention removed.
void LogPruned(const snapshot::PruneResult& r, bool dry_run, spdlog::logger& log);

}  // namespace etcdsnap::cli
