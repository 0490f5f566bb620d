// How many CPUs this process may use: for the threads status walks on and the workers zstd
// compresses with. hardware_concurrency() counts the machine's; a pinned process (taskset,
// cpusets) or a Kubernetes pod limited to one CPU on a 64-CPU node has far fewer.
#pragma once

#include <string>

namespace etcdsnap {

// The whole CPUs' worth of time a cgroup v2 CPU quota allows this process: the smallest
// quota/period of "cpu.max" in its cgroup (the "0::" line of `proc_self_cgroup`, under
// `cgroup_root`) and each ancestor; "max" is none. A pod limited to 1.5 CPUs gets 1. 1 << 20
// when there is no quota or it cannot be read.
int CgroupQuotaCpus(const std::string& proc_self_cgroup, const std::string& cgroup_root);

// The CPUs this process may run on: its affinity mask and its cgroup's CPU quota; at least 1.
int UsableCpus();

}  // namespace etcdsnap
