// The `snapshot restore` use case: a new member's data dir from a snapshot file, as etcdutl 3.5
// writes it, built so that nothing is left behind unless it is complete.
//
//  1. Options are checked before anything is touched: peer URLs and --initial-cluster as etcd
//     parses them, the local name in the cluster, its advertise URLs, IDs, the data dir (missing,
//     or an empty directory: a mount point), the WAL dir, --bump-revision with
//     --mark-compacted.
//  2. The snapshot is copied into a staging directory (<data-dir>.part, or <data-dir>/member.part
//     when the data dir exists) while a second thread computes the sha256 of exactly the bytes
//     written; it must equal the trailer etcd appended (unless --skip-hash-check).
//  3. The copy is checked as `snapshot verify` checks a file (bbolt structure, etcd schema).
//  4. One bbolt transaction on the copy (bolt::UpdateTx, copy on write: a few pages whatever the
//     size): `members` and `members_removed` hold only the new members, `meta/consistent_index`
//     is the number of members and `meta/term` 1; with a bump, a marker at the bumped revision
//     and `meta/scheduledCompactRev`.
//  5. The WAL segment and the .snap file (raft::BuildRestoreFiles), every file and directory
//     fsynced, then the staging directory renamed into place (the WAL dir first when it is
//     elsewhere).
// On any failure or cancellation every file and directory it made is removed; an existing data
// dir is never written into except by the final rename of `member`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "etcdsnap/etcd/member.h"
#include "etcdsnap/raft/restore_files.h"
#include "etcdsnap/util/cancel.h"
#include "etcdsnap/util/status.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::snapshot {

// etcdutl 3.5's flags and defaults.
struct RestoreOptions {
  std::string snapshot_path;
  std::string name = "default";
  std::string data_dir;  // "" means "<name>.etcd"
  std::string wal_dir;   // "" means "<data_dir>/member/wal"
  std::string initial_cluster = "default=http://localhost:2380";
  std::string initial_cluster_token = "etcd-cluster";
  std::string initial_advertise_peer_urls = "http://localhost:2380";
  bool skip_hash_check = false;
  uint64_t bump_revision = 0;
  bool mark_compacted = false;
  raft::WalLayout wal_layout = raft::WalLayout::kEtcd35;
  // Called from the copying thread with bytes copied and the total, often.
  std::function<void(uint64_t done, uint64_t total)> on_progress;
};

struct RestoreResult {
  std::string data_dir;
  std::string wal_dir;
  std::string snap_dir;
  etcd::Cluster cluster;
  uint64_t member_id = 0;
  uint64_t db_bytes = 0;          // member/snap/db before the membership edit
  bool hash_checked = false;      // the sha256 trailer was present and checked
  int64_t latest_revision = 0;    // the snapshot's
  int64_t bumped_revision = 0;    // the restored revision with --bump-revision, else 0
  uint64_t kubernetes_keys = 0;   // live /registry/ keys in the snapshot
};

// The data dir for `options`: --data-dir or "<name>.etcd".
std::string DataDirFor(const RestoreOptions& options);

// Checks the options without touching any file: kInvalidArgument with etcd's words.
Status CheckRestoreOptions(const RestoreOptions& options);

// Restores. Log lines go to `log` with etcdutl's messages. `canceller` (may be null) stops the
// restore at its next check; nothing is left behind then (kCancelled).
//
// Errors: kInvalidArgument (options, an existing data or WAL dir, a snapshot path that is not a
// regular file), kNotFound (no snapshot), kCorruption (sha256 missing or wrong, a structurally
// damaged file), kIOError (the disk), kCancelled. After the rename a failure to fsync the parent
// directory is kIOError whose message starts "restored to".
Result<RestoreResult> Restore(const RestoreOptions& options, Canceller* canceller,
                              spdlog::logger& log);

// What restore changes in its copy of the snapshot's db, as one bbolt transaction (etcdutl 3.5's
// TrimMembershipFromBackend, AddMember for each member, modifyLatestRevision, updateCIndex).
struct DbEdits {
  const etcd::Cluster* cluster = nullptr;  // written to `members`; none when null
  uint64_t consistent_index = 0;
  uint64_t term = 1;
  uint64_t bump_revision = 0;  // > 0: bump and mark compacted
  bool sync = true;            // fdatasync as bbolt's commit does (off only for the fuzzer)
};

// Applies `edits` to the bbolt file at `db_path`, which Verify() found sound. Returns the
// bumped revision (0 without a bump). Logs etcdutl's lines.
Result<int64_t> EditRestoredDb(const std::string& db_path, const DbEdits& edits,
                               spdlog::logger& log);

// Go's fmt %v of a []byte ("[204 238 3]"), the form of etcdutl's hash mismatch message.
std::string GoByteList(const uint8_t* data, size_t n);

}  // namespace etcdsnap::snapshot
