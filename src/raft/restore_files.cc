#include "etcdsnap/raft/restore_files.h"

#include <unistd.h>

#include "etcdsnap/etcd/v2_store.h"
#include "etcdsnap/raft/proto.h"
#include "etcdsnap/raft/snap.h"
#include "etcdsnap/raft/wal.h"
#include "write_file.h"

namespace etcdsnap::raft {

Result<RestoreFiles> BuildRestoreFiles(const etcd::UrlsMap& initial_cluster,
                                       const std::string& name, const std::string& token,
                                       WalLayout layout) {
  if (initial_cluster.empty()) {
    return Status::InvalidArgument("initial cluster unset and no discovery URL found");
  }
  RestoreFiles f;
  ETCDSNAP_ASSIGN_OR_RETURN(f.cluster, etcd::NewClusterFromUrlsMap(token, initial_cluster));
  const etcd::Member* local = f.cluster.MemberByName(name);
  if (local == nullptr) {
    return Status::InvalidArgument("couldn't find local name \"" + name +
                                   "\" in the initial cluster configuration");
  }
  f.member_id = local->id;
  f.index = f.cluster.members.size();

  ConfState conf_state;
  std::vector<Entry> entries;
  for (const etcd::Member& m : f.cluster.members) {
    conf_state.voters.push_back(m.id);
    ConfChange cc{0, ConfChangeType::kAddNode, m.id, etcd::MemberJson(m)};
    entries.push_back(Entry{f.term, entries.size() + 1, EntryType::kConfChange, Encode(cc)});
  }

  WalEncoder wal;
  wal.AppendHead(Encode(Metadata{f.member_id, f.cluster.id}));
  wal.AppendEntriesAndState(entries, HardState{f.term, f.cluster.members[0].id, f.index});
  WalSnapshot ws{f.index, f.term, std::nullopt};
  if (layout == WalLayout::kEtcd35) ws.conf_state = conf_state;
  wal.AppendSnapshot(ws);
  f.wal_name = WalFileName(0, 0);
  f.wal_records = wal.bytes();

  Snapshot snap;
  snap.data = etcd::MembershipV2StoreJson(f.cluster.members);
  snap.metadata = SnapshotMetadata{conf_state, f.index, f.term};
  f.snap_name = SnapFileName(f.term, f.index);
  f.snap = EncodeSnapFile(snap);
  return f;
}

Status WriteRestoreFiles(const RestoreFiles& files, const std::string& wal_dir,
                         const std::string& snap_dir) {
  const std::string wal_path = wal_dir + "/" + files.wal_name;
  ETCDSNAP_RETURN_IF_ERROR(WriteWalSegment(wal_path, files.wal_records));
  Status st = WriteRestoreSnap(files, snap_dir);
  if (!st.ok()) ::unlink(wal_path.c_str());
  return st;
}

Status WriteRestoreSnap(const RestoreFiles& files, const std::string& snap_dir) {
  return WriteNewFile(snap_dir + "/" + files.snap_name, files.snap);
}

}  // namespace etcdsnap::raft
