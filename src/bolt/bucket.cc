#include "etcdsnap/bolt/bucket.h"

#include <string>

namespace etcdsnap::bolt {

Result<std::unique_ptr<Cursor>> OpenBucket(const File& file, std::string_view name) {
  Cursor root(file, file.meta().root);
  Status s = root.First();
  for (; s.ok() && root.Valid(); s = root.Next()) {
    const int c = CompareKeys(View(root.key()), name);
    if (c < 0) continue;
    if (c > 0) break;  // keys are in order: it is not there
    if (!root.IsBucket()) {
      return Status::Corruption("root entry " + Quote(name) + " is not a bucket");
    }
    Result<BucketHeader> h = DecodeBucketHeader(root.value());
    if (!h.ok()) return h.status().Annotate("bucket " + Quote(name));
    if (h->root != 0) return std::make_unique<Cursor>(file, h->root);
    return std::make_unique<Cursor>(file, h->inline_page, "bucket " + Quote(name) + " (inline)");
  }
  ETCDSNAP_RETURN_IF_ERROR(s);
  return Status::NotFound("no bucket " + Quote(name));
}

}  // namespace etcdsnap::bolt
