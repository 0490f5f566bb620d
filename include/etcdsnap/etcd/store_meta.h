// What etcd's mvcc store reads from bucket `meta` when it opens a backend: the compaction marks
// (`finishedCompactRev`, `scheduledCompactRev`: 17-byte revision keys) and the consistent index.
#pragma once

#include <cstdint>
#include <optional>

#include "etcdsnap/bolt/file.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::etcd {

struct StoreMeta {
  std::optional<int64_t> finished_compact;   // main revision of the last completed compaction
  std::optional<int64_t> scheduled_compact;  // main revision of the last one started
  std::optional<uint64_t> consistent_index;
};

// Reads bucket `meta`. A file without `meta` (not an etcd backend) gives an empty StoreMeta;
// a mark that is not a revision, or a consistent index that is not 8 bytes, is kCorruption.
Result<StoreMeta> ReadStoreMeta(const bolt::File& file);

}  // namespace etcdsnap::etcd
