// The command-line side of the cross-check with live members (snapshot/cluster_check.h):
// `snapshot hashkv <file> --endpoints ...` and `snapshot save --check-cluster`. In builds
// without gRPC, RunHashKvCluster answers exit 4 and save does not exist.
#pragma once

#include <cstdint>
#include <string>

#include "etcdsnap/cli/command.h"

namespace spdlog {
class logger;
}

namespace etcdsnap::snapshot {
struct ClusterCheckReport;
}

namespace etcdsnap::cli {

struct HashKvRequest {
  std::string path;
  int64_t revision = 0;       // 0: the file's latest
  std::string etcd_version;   // "" or "latest": the newest rules
  bool whole_cluster = false;  // --cluster
};

// `snapshot hashkv <file>` with --endpoints, --discovery-srv or --cluster: reads ETCDCTL_*,
// asks the members, prints the report in `-w` format. Exit 0 when no member differs (members
// that cannot be compared are warned about), 65 on a mismatch, 2 when no member answered.
int RunHashKvCluster(GlobalOptions& g, const HashKvRequest& request);

// The report as `-w` asks: simple (the file's line, then one line per member), table, json or
// fields.
std::string FormatClusterCheck(const snapshot::ClusterCheckReport& report,
                               const std::string& format);

// The Error line for a report with mismatches ("" when there is none); `kept` adds that the
// file is kept (after a save).
std::string MismatchMessage(const snapshot::ClusterCheckReport& report, bool kept);

}  // namespace etcdsnap::cli
