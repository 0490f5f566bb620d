#include "etcdsnap/snapshot/status.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <string>

#include "etcdsnap/bolt/check.h"
#include "etcdsnap/bolt/file.h"
#include "etcdsnap/util/compression.h"

namespace etcdsnap::snapshot {

int CgroupQuotaCpus(const std::string& proc_self_cgroup, const std::string& cgroup_root) {
  constexpr int kUnlimited = 1 << 20;
  std::ifstream self(proc_self_cgroup);
  std::string line, path;
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty() || path[0] != '/') return kUnlimited;
  int cpus = kUnlimited;
  for (int depth = 0; depth < 64; ++depth) {  // the cgroup, then each ancestor up to the root
    std::ifstream max(cgroup_root + path + "/cpu.max");
    std::string quota;
    uint64_t period = 0;
    if (max >> quota >> period && quota != "max" && period > 0) {
      uint64_t q = 0;
      const auto [end, ec] = std::from_chars(quota.data(), quota.data() + quota.size(), q);
      if (ec == std::errc() && end == quota.data() + quota.size()) {
        cpus = std::min<uint64_t>(static_cast<uint64_t>(cpus), q / period);
      }
    }
    if (path == "/") break;
    path.erase(path.find_last_of('/'));
    if (path.empty()) path = "/";
  }
  return cpus;
}

namespace {

// The CPUs this process may run on: its affinity mask (taskset, cpusets) and its cgroup's CPU
// quota; at least 1. Two threads under a one-CPU quota would only share that CPU's time.
int CpusAvailable() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, std::min(CPU_COUNT(&set), CgroupQuotaCpus("/proc/self/cgroup", "/sys/fs/cgroup")));
}

}  // namespace

Result<etcd::BackendStatus> GetStatus(const StatusOptions& options) {
  // A compressed snapshot is read through a decompressed temporary copy.
  ETCDSNAP_ASSIGN_OR_RETURN(PlainSnapshot plain, PlainSnapshot::Open(options.path));
  auto opened = bolt::File::Open(plain.path());
  if (!opened.ok()) return Status(opened.status().code(), plain.Explain(opened.status().message()));
  std::unique_ptr<bolt::File> file = std::move(opened).value();
  etcd::StatusComputer computer(options.layout);
  bolt::CheckOptions check;
  // Bucket `key` on two threads when there are two CPUs to run them (same result, same errors).
  if (CpusAvailable() >= 2) {
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
