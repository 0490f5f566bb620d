#include "etcdsnap/util/cpus.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>

namespace etcdsnap {

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
    const size_t cut = path.find_last_of('/');  // "/a/b" -> "/a", "/a" -> "/"
    path.resize(cut == 0 ? 1 : cut);
  }
  return cpus;
}

int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, std::min(CPU_COUNT(&set),
                               CgroupQuotaCpus("/proc/self/cgroup", "/sys/fs/cgroup")));
}

}  // namespace etcdsnap
