#include "etcdsnap/etcd/store_meta.h"

#include <string>

#include "etcdsnap/bolt/bucket.h"
#include "etcdsnap/etcd/buckets.h"
#include "etcdsnap/etcd/revision.h"

namespace etcdsnap::etcd {

Result<StoreMeta> ReadStoreMeta(const bolt::File& file) {
  StoreMeta meta;
  auto opened = bolt::OpenBucket(file, kMetaBucket);
  if (!opened.ok()) {
    if (opened.status().code() == Code::kNotFound) return meta;
    return opened.status().Annotate(file.path());
  }
  bolt::Cursor& c = **opened;
  Status s = c.First();
  for (; s.ok() && c.Valid(); s = c.Next()) {
    const std::string_view key = bolt::View(c.key());
    if (key == kFinishedCompactKey || key == kScheduledCompactKey) {
      Result<Revision> rev = ParseRevisionKey(c.value());
      if (!rev.ok()) {
        return Status::Corruption(file.path() + ": meta/" + std::string(key) + ": " +
                                  rev.status().message());
      }
      (key == kFinishedCompactKey ? meta.finished_compact : meta.scheduled_compact) = rev->main;
    } else if (key == kConsistentIndexKey) {
      if (c.value().size() != 8) {
        return Status::Corruption(file.path() + ": meta/consistent_index is " +
                                  std::to_string(c.value().size()) + " bytes, not 8");
      }
      meta.consistent_index = bolt::LoadBE64(c.value().data());
    }
  }
  if (!s.ok()) return s.Annotate(file.path() + ": bucket \"meta\"");
  return meta;
}

}  // namespace etcdsnap::etcd
