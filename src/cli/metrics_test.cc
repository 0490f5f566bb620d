#include "etcdsnap/cli/metrics.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace etcdsnap::cli {
namespace {

using Clock = std::chrono::system_clock;

SaveRunFigures Figures(bool saved, int exit_code, int64_t at, const std::string& cluster) {
  SaveRunFigures f;
  f.saved = saved;
  f.exit_code = exit_code;
  f.started = Clock::from_time_t(at);
  f.finished = f.started + std::chrono::milliseconds(1500);
  f.cluster = cluster;
  f.size_bytes = saved ? 20512 : 0;
  f.revision = saved ? 42 : 0;
  return f;
}

// The value of the sample of `name` (after the prefix) in `text`, with its labels.
std::string Sample(const std::string& text, const std::string& name) {
  const std::string key = "\netcdsnap_snapshot_" + name + "{";
  const size_t at = ("\n" + text).find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size() - 2;  // at the '{' in text
  return text.substr(start, text.find('\n', start) - start);
}

TEST(MetricsTest, SuccessWritesEveryFigureWithTheClusterLabel) {
  const std::string text = RenderMetrics(Figures(true, 0, 1796300000, "cdf818194e3a8c32"), "");
  EXPECT_EQ(Sample(text, "last_success_timestamp_seconds"),
            "{cluster=\"cdf818194e3a8c32\"} 1796300001.500");
  EXPECT_EQ(Sample(text, "last_success_size_bytes"), "{cluster=\"cdf818194e3a8c32\"} 20512");
  EXPECT_EQ(Sample(text, "last_success_revision"), "{cluster=\"cdf818194e3a8c32\"} 42");
  EXPECT_EQ(Sample(text, "last_attempt_success"), "{cluster=\"cdf818194e3a8c32\"} 1");
  EXPECT_NE(text.find("# TYPE etcdsnap_snapshot_last_success_revision gauge\n"), std::string::npos);
}

TEST(MetricsTest, FailureKeepsTheLastSuccessAndItsCluster) {
  const std::string ok = RenderMetrics(Figures(true, 0, 1796300000, "abc"), "");
  const std::string failed = RenderMetrics(Figures(false, 2, 1796400000, ""), ok);
  EXPECT_EQ(Sample(failed, "last_success_timestamp_seconds"), "{cluster=\"abc\"} 1796300001.500");
  EXPECT_EQ(Sample(failed, "last_success_revision"), "{cluster=\"abc\"} 42");
  EXPECT_EQ(Sample(failed, "last_attempt_success"), "{cluster=\"abc\"} 0");
  EXPECT_EQ(Sample(failed, "last_attempt_exit_code"), "{cluster=\"abc\"} 2");
  EXPECT_EQ(Sample(failed, "last_attempt_timestamp_seconds"), "{cluster=\"abc\"} 1796400001.500");
  // Saved, but a later step failed: the success figures are new, the attempt failed.
  const std::string late = RenderMetrics(Figures(true, 5, 1796500000, "abc"), failed);
  EXPECT_EQ(Sample(late, "last_success_timestamp_seconds"), "{cluster=\"abc\"} 1796500001.500");
  EXPECT_EQ(Sample(late, "last_attempt_success"), "{cluster=\"abc\"} 0");
}

TEST(MetricsTest, NoSuccessYetMeansNoSuccessFigures) {
  const std::string text = RenderMetrics(Figures(false, 2, 1796300000, ""), "garbage\n{not ours}\n");
  EXPECT_EQ(Sample(text, "last_success_timestamp_seconds"), "");
  EXPECT_EQ(Sample(text, "last_attempt_success"), "{cluster=\"\"} 0");
}

using MetricsFileTest = testing::TempDirTest;

TEST_F(MetricsFileTest, UpdateReadsThePreviousFileAndLeavesItReadableByOthers) {
  const std::string path = (dir_ / "etcd.prom").string();
  ASSERT_TRUE(UpdateMetricsFile(path, Figures(true, 0, 1796300000, "abc")).ok());
  ASSERT_TRUE(UpdateMetricsFile(path, Figures(false, 75, 1796400000, "")).ok());
  const std::string text = Read(path);
  EXPECT_EQ(Sample(text, "last_success_revision"), "{cluster=\"abc\"} 42");
  EXPECT_EQ(Sample(text, "last_attempt_exit_code"), "{cluster=\"abc\"} 75");
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

}  // namespace
}  // namespace etcdsnap::cli
