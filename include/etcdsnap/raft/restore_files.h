// The raft side of `snapshot restore`: the WAL segment and the .snap file of a new cluster, as
// etcdutl 3.5's saveWALAndSnap writes them (etcdctl 3.4's differs in one record, see WalLayout).
//
// For N members in ascending ID order: WAL = crc record, Metadata{local ID, cluster ID}, an empty
// snapshot record, N EntryConfChange entries (term 1, index i+1, ConfChange{AddNode, ID, member
// JSON}), HardState{term 1, vote = smallest ID, commit N}, snapshot record {index N, term 1};
// .snap = raftpb.Snapshot{v2 store JSON, {ConfState{voters = IDs}, index N, term 1}}.
#pragma once

#include <cstdint>
#include <string>

#include "etcdsnap/etcd/member.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::raft {

enum class WalLayout {
  // etcdctl 3.4: the final walpb.Snapshot holds index and term only.
  kEtcd34,
  // etcdutl 3.5+: it also holds the ConfState (field 3); 3.4 servers skip the field as unknown
  // (walpb.Snapshot.Unmarshal keeps unknown fields aside), so 3.4 boots from it too.
  kEtcd35,
};

struct RestoreFiles {
  etcd::Cluster cluster;   // members in ascending ID order, cluster ID
  uint64_t member_id = 0;  // the local member
  uint64_t term = 1;
  uint64_t index = 0;       // number of members
  std::string wal_name;     // 0000000000000000-0000000000000000.wal
  std::string wal_records;  // the segment is these bytes, then zeros up to kWalSegmentSizeBytes
  std::string snap_name;    // <term>-<index>.snap
  std::string snap;         // the whole .snap file
};

// Builds the files for the members of `initial_cluster` (as ParseInitialCluster returns it),
// `name` being the local member, `token` the --initial-cluster-token. Refuses an empty cluster,
// a name not in it, and the member ID clashes etcd refuses.
Result<RestoreFiles> BuildRestoreFiles(const etcd::UrlsMap& initial_cluster,
                                       const std::string& name, const std::string& token,
                                       WalLayout layout = WalLayout::kEtcd35);

// Writes <wal_dir>/wal_name (preallocated, 0600) and <snap_dir>/snap_name (0600); both
// directories must exist and neither file may. On failure neither file is left behind.
Status WriteRestoreFiles(const RestoreFiles& files, const std::string& wal_dir,
                         const std::string& snap_dir);

// The .snap half of WriteRestoreFiles (for a caller that writes the WAL segment itself, with
// WriteWalSegment, under another name): <snap_dir>/snap_name, 0600, fsynced.
Status WriteRestoreSnap(const RestoreFiles& files, const std::string& snap_dir);

}  // namespace etcdsnap::raft
