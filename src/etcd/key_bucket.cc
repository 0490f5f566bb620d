#include "etcdsnap/etcd/key_bucket.h"

#include <memory>
#include <string>

#include "etcdsnap/bolt/bucket.h"
#include "etcdsnap/etcd/buckets.h"

namespace etcdsnap::etcd {
Status ForEachKeyEntry(const bolt::File& file, const KeyEntryFn& fn) {
  auto opened = bolt::OpenBucket(file, kKeyBucket);
  if (!opened.ok()) {
    const std::string why = opened.status().code() == Code::kNotFound
                                ? "it has no bucket \"key\" (not an etcd backend?)"
                                : opened.status().message();
    return Status::Corruption(file.path() + ": " + why);
  }
  bolt::Cursor& c = **opened;
  Status s = c.First();
  for (; s.ok() && c.Valid(); s = c.Next()) {
    if (c.IsBucket()) {
      return Status::Corruption(file.path() + ": bucket \"key\" holds a nested bucket " +
                                bolt::Quote(bolt::View(c.key()), 48));
    }
    Result<Revision> rev = ParseRevisionKey(c.key());
    if (!rev.ok()) {
      return Status::Corruption(file.path() + ": bucket \"key\": entry " +
                                bolt::Quote(bolt::View(c.key()), 48) + ": " +
                                rev.status().message());
    }
    bool stop = false;
    ETCDSNAP_RETURN_IF_ERROR(fn(KeyEntry{*rev, c.key(), c.value()}, &stop));
    if (stop) return Status::Ok();
  }
  if (!s.ok()) return s.Annotate(file.path() + ": bucket \"key\"");
  return Status::Ok();
}

}  // namespace etcdsnap::etcd
