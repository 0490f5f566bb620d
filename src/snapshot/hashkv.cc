#include "etcdsnap/snapshot/hashkv.h"

namespace etcdsnap::snapshot {

Result<std::unique_ptr<HashKvFile>> HashKvFile::Open(const std::string& path, int64_t revision,
                                                     const etcd::HashKvRules& rules,
                                                     const std::atomic<bool>* cancel) {
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(path, cancel));
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return Status(opened.status().code(), plain.Explain(opened.status().message()));
  std::unique_ptr<HashKvFile> f(
      new HashKvFile(std::move(plain), std::move(opened).value(), revision));
  auto explain = [&f](const Status& s) { return Status(s.code(), f->plain_.Explain(s.message())); };
  Result<etcd::StoreMeta> meta = etcd::ReadStoreMeta(*f->file_);
  if (!meta.ok()) return explain(meta.status());
  Status s = f->hasher_.Index(f->Walk());
  if (!s.ok()) return explain(s);
  f->store_ = etcd::RestoredRevisions(*meta, f->hasher_.last_main(), rules);
  ETCDSNAP_RETURN_IF_ERROR(etcd::CheckHashRevision(revision, f->store_, rules).Annotate(path));
  f->revision_ = revision > 0 ? revision : f->store_.current;
  return f;
}

etcd::KeyWalk HashKvFile::Walk() const {
  return [this](const etcd::KeyEntryFn& fn) { return etcd::ForEachKeyEntry(*file_, fn); };
}

Result<std::vector<uint32_t>> HashKvFile::Hash(
    const std::vector<etcd::HashRequest>& requests) const {
  Result<std::vector<uint32_t>> r = hasher_.Hash(Walk(), requests);
  if (!r.ok()) return Status(r.status().code(), plain_.Explain(r.status().message()));
  return r;
}

Result<HashKvResult> ComputeHashKv(const HashKvOptions& o) {
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<HashKvFile> f,
                            HashKvFile::Open(o.path, o.revision, o.rules));
  const etcd::StoreRevisions& file = f->store();
  etcd::StoreRevisions as_asked = file;
  if (o.compact_revision) {
    const int64_t c = *o.compact_revision;
    if (c < file.compact) {
      return Status::InvalidArgument(
          o.path + " was compacted at revision " + std::to_string(file.compact) +
          ": the history below it is gone, so --compact-rev " + std::to_string(c) +
          " cannot be reproduced (give " + std::to_string(file.compact) + " or more)");
    }
    if (c > file.current) {
      return Status::InvalidArgument("--compact-rev " + std::to_string(c) +
                                     " is above the latest revision of " + o.path + " (" +
                                     std::to_string(file.current) + "): no server compacts there");
    }
    as_asked.compact = c;
    ETCDSNAP_RETURN_IF_ERROR(
        etcd::CheckHashRevision(o.revision, as_asked, o.rules).Annotate(o.path));
  }
  ETCDSNAP_ASSIGN_OR_RETURN(
      std::vector<uint32_t> hashes,
      f->Hash({{as_asked.compact, o.rules.skips_tombstone_at_compaction}}));
  HashKvResult r;
  r.hash = hashes.front();
  r.revision = f->revision();
  r.compact_revision = as_asked.compact;
  r.current_revision = file.current;
  r.file_compact_revision = file.compact;
  r.keys = f->keys();
  r.index_bytes = f->index_bytes();
  r.no_live_keys = f->keep_empty();
  return r;
}

}  // namespace etcdsnap::snapshot
