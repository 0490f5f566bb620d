// The `snapshot status` use case: etcdctl's figures for a snapshot (or any etcd backend) file,
// after the same integrity check etcdctl runs first. One pass over the file with pread; memory
// stays flat whatever the file size (except the 3.6 layout's set of live keys). The file is
// opened read-only and never written.
#pragma once

#include <string>

#include "etcdsnap/etcd/backend_status.h"
#include "etcdsnap/util/status.h"

namespace etcdsnap::snapshot {

// What GetStatus() reads and which etcd version's figures it computes.
struct StatusOptions {
  std::string path;
  etcd::StatusLayout layout = etcd::StatusLayout::kEtcd34;
};

// The status, or: NotFound/IOError ("stat <path>: no such file or directory", as etcdctl),
// InvalidArgument (a directory), Corruption (not bbolt, truncated, torn metas, or the integrity
// check failing with etcdctl's "snapshot file integrity check failed. N errors found." followed
// by the errors, one per line).
Result<etcd::BackendStatus> GetStatus(const StatusOptions& options);


}  // namespace etcdsnap::snapshot
