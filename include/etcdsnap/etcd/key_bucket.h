// Reading etcd's `key` bucket from a snapshot file: every entry in bucket order (which is
// revision order: 8-byte big-endian main revision, '_', sub revision, 't' for a deletion), with
// its revision parsed and its raw key and value bytes, for whatever a tool computes over the
// history (HashKV, per-key figures, diffs). Values are left undecoded: DecodeKeyValue() them
// when needed. One root-to-leaf path of pages in memory, whatever the file size.
#pragma once

#include <functional>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/bolt/format.h"
#include "etcdsnap/etcd/revision.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

// One entry of bucket `key`. `key` and `value` borrow the cursor's page: valid during the call.
struct KeyEntry {
  Revision revision;
  bolt::Bytes key;    // the 17- or 18-byte revision key, as stored
  bolt::Bytes value;  // the stored mvccpb.KeyValue
};

// Called per entry; a non-ok Status stops the walk and is returned. Setting *stop ends the walk
// after this entry without an error (the rest of the history is not wanted).
using KeyEntryFn = std::function<Status(const KeyEntry& entry, bool* stop)>;

// Calls `fn` for every entry of bucket `key`, in order. kCorruption (naming the file) for a
// missing `key` bucket, a nested bucket inside it, a key that is not a revision, or a damaged
// page; otherwise the first error `fn` returned.
Status ForEachKeyEntry(const bolt::File& file, const KeyEntryFn& fn);

}  // namespace etcdsnap::etcd
