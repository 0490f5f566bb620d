#include "etcdsnap/snapshot/status.h"

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/util/compression.h"
#include "etcdsnap/util/cpus.h"

namespace etcdsnap::snapshot {

Result<etcd::BackendStatus> GetStatus(const StatusOptions& options) {
  // A compressed snapshot is read through a decompressed temporary copy.
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(options.path));
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return Status(opened.status().code(), plain.Explain(opened.status().message()));
  std::unique_ptr<bolt::File> file = std::move(opened).value();
  etcd::StatusComputer computer(options.layout);
  bolt::CheckOptions check;
  // Bucket `key` on two threads when there are two CPUs to run them (same result, same errors).
  if (UsableCpus() >= 2) {
    check.parallel_visitor = &computer;
  } else {
    check.visitor = &computer;
  }
  const bolt::CheckResult result = bolt::Check(*file, check);
  if (!result.ok()) {
    std::string message = "snapshot file integrity check failed. " +
                          std::to_string(result.error_count) + " errors found.";
    for (const std::string& e : result.errors) message += "\n" + e;
    if (result.errors.size() < result.error_count) {
      message += "\n(" + std::to_string(result.error_count - result.errors.size()) +
                 " more errors not shown)";
    }
    return Status::Corruption(message);
  }
  Result<etcd::BackendStatus> status = computer.Finish(file->db_size());
  if (!status.ok()) return status.status().Annotate(options.path);
  return status;
}

}  // namespace etcdsnap::snapshot
