#include "etcdsnap/snapshot/status.h"

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"

namespace etcdsnap::snapshot {

Result<etcd::BackendStatus> GetStatus(const StatusOptions& options) {
  ETCDSNAP_ASSIGN_OR_RETURN(std::unique_ptr<bolt::File> file, bolt::File::Open(options.path));
  etcd::StatusComputer computer(options.layout);
  bolt::CheckOptions check;
  check.visitor = &computer;
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
