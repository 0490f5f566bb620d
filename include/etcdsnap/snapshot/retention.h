// Retention: which snapshots a name template made in its directory to keep and which to remove,
// with restic's rules (`restic forget --keep-*`, borg prune alike):
//  - the files are the regular files of the template's directory whose names the template
//    reads back exactly (name_template.h): `etcd-notmine.db`, `etcd-2026...db.part`, manifests
//    (`.json`), symbolic links and directories are never candidates;
//  - files of different {cluster}/{member} values are separate series, each kept on its own;
//  - newest first (by the time in the name, then {revision}, then the name), --keep-last N keeps
//    the N newest; --keep-hourly/daily/weekly/monthly N keep the newest file of each of the N
//    newest hours/days/ISO weeks/months that have one; a file is kept if any policy keeps it;
//  - a removed snapshot's manifest (`<file>.json`) goes with it, first, so that a crash in
//    between leaves a snapshot without manifest rather than a manifest without snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "etcdsnap/snapshot/name_template.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

struct KeepPolicy {
  uint64_t last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0;
  bool any() const { return last > 0 || hourly > 0 || daily > 0 || weekly > 0 || monthly > 0; }
};

// One snapshot a template made.
struct SnapshotName {
  std::string name;  // file name, no directory
  NameFields fields;
};

// The indexes of `files` (one series) that `policy` keeps, in no particular order.
std::vector<size_t> SelectKept(const std::vector<SnapshotName>& files, const KeepPolicy& policy);

// Ok when the template's names carry what each policy given needs (--keep-hourly the hour,
// --keep-daily and --keep-weekly the day, --keep-monthly the month, --keep-last an order: a
// time or {revision}); otherwise InvalidArgument naming the flag and the fields to add.
Status CheckPolicyFits(const NameTemplate& t, const KeepPolicy& policy);

struct PruneOptions {
  KeepPolicy keep;
  bool dry_run = false;  // list, remove nothing
  // Only this series (MatchedName::series) is pruned; nullopt: every series, each on its own.
  std::optional<std::string> series;
  // Never removed, whatever the policy says: the snapshot this run just saved. Recognised by
  // its device and inode, so any spelling of its path works ("e.db" and "./e.db").
  std::string protect;
};

struct PruneResult {
  // Full paths, oldest first: the snapshots removed (or, with dry_run, that would be), and
  // their manifests that were (or would be) removed with them.
  std::vector<std::string> removed;
  std::vector<std::string> kept;  // the snapshots kept
};

// Applies the policy to the template's directory. A file that vanished meanwhile (another run
// pruned it) is not an error; any other failure to remove stops and is returned, naming the
// file.
Result<PruneResult> Prune(const NameTemplate& t, const PruneOptions& options);

}  // namespace etcdsnap::snapshot
