// The CPUs a process may use under a cgroup v2 quota: two threads under a one-CPU limit would
// only share that CPU's time.
#include "etcdsnap/util/cpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "temp_dir.h"

namespace etcdsnap {
namespace {

using etcdsnap::testing::WriteFileOrDie;

class CgroupQuotaTest : public etcdsnap::testing::TempDirTest {
 protected:
  // A cgroup tree under dir_/cg with `cpu_max` per cgroup path ("" for no file), and the
  // process in `self`.
  int Quota(const std::string& self, const std::vector<std::pair<std::string, std::string>>& cpu_max) {
    const std::string root = (dir_ / "cg").string();
    for (const auto& [path, content] : cpu_max) {
      std::filesystem::create_directories(root + path);
      if (!content.empty()) WriteFileOrDie(root + path + "/cpu.max", content);
    }
    const std::string proc = (dir_ / "cgroup").string();
    WriteFileOrDie(proc, "12:memory:/elsewhere\n0::" + self + "\n");
    return CgroupQuotaCpus(proc, root);
  }
};

TEST_F(CgroupQuotaTest, NoQuotaIsUnlimited) {
  EXPECT_EQ(Quota("/kubepods/pod1/c1", {{"/kubepods/pod1/c1", "max 100000\n"},
                                        {"/kubepods/pod1", ""}, {"/kubepods", "max 100000\n"}}),
            1 << 20);
}

TEST_F(CgroupQuotaTest, OneCpuLimitOnThePodIsOne) {
  EXPECT_EQ(Quota("/kubepods/pod1/c1",
                  {{"/kubepods/pod1/c1", "max 100000\n"}, {"/kubepods/pod1", "100000 100000\n"}}),
            1);
  // 1.5 CPUs is one whole CPU; the smallest of the cgroup and its ancestors counts.
  EXPECT_EQ(Quota("/a/b", {{"/a/b", "400000 100000\n"}, {"/a", "150000 100000\n"}}), 1);
  EXPECT_EQ(Quota("/x", {{"/x", "250000 100000\n"}}), 2);
}

TEST(UsableCpusTest, AtLeastOneAndAtMostTheMachines) {
  EXPECT_GE(UsableCpus(), 1);
  EXPECT_LE(UsableCpus(), static_cast<int>(std::thread::hardware_concurrency()));
}

TEST_F(CgroupQuotaTest, UnreadableOrOddFilesAreNoQuota) {
  EXPECT_EQ(Quota("/", {}), 1 << 20);                             // the root: no cpu.max
  EXPECT_EQ(Quota("/p", {{"/p", "garbage\n"}}), 1 << 20);
  EXPECT_EQ(Quota("/p", {{"/p", "12x 100000\n"}}), 1 << 20);
  EXPECT_EQ(Quota("/p", {{"/p", "100000 0\n"}}), 1 << 20);
  EXPECT_EQ(CgroupQuotaCpus((dir_ / "missing").string(), (dir_ / "cg").string()), 1 << 20);
}

}  // namespace
}  // namespace etcdsnap
