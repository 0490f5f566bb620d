#include "etcdsnap/util/human.h"

#include <gtest/gtest.h>

namespace etcdsnap {
namespace {

TEST(HumanizeBytesTest, MatchesGoHumanize) {
  EXPECT_EQ(HumanizeBytes(0), "0 B");
  EXPECT_EQ(HumanizeBytes(9), "9 B");
  EXPECT_EQ(HumanizeBytes(10), "10 B");
  EXPECT_EQ(HumanizeBytes(999), "999 B");
  EXPECT_EQ(HumanizeBytes(1000), "1.0 kB");
  EXPECT_EQ(HumanizeBytes(24576), "25 kB");
  EXPECT_EQ(HumanizeBytes(2100000), "2.1 MB");
  EXPECT_EQ(HumanizeBytes(186000000), "186 MB");
  EXPECT_EQ(HumanizeBytes(1073741824), "1.1 GB");
}

TEST(ParseGoDurationTest, AcceptsGoForms) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseGoDuration("2s").value(), nanoseconds(2'000'000'000));
  EXPECT_EQ(ParseGoDuration("500ms").value(), nanoseconds(500'000'000));
  EXPECT_EQ(ParseGoDuration("1m30s").value(), nanoseconds(90'000'000'000));
  EXPECT_EQ(ParseGoDuration("1.5h").value(), nanoseconds(5'400'000'000'000));
  EXPECT_EQ(ParseGoDuration("0").value(), nanoseconds(0));
}

TEST(ParseGoDurationTest, RejectsBadInput) {
  EXPECT_FALSE(ParseGoDuration("").ok());
  EXPECT_FALSE(ParseGoDuration("5").ok());
  EXPECT_FALSE(ParseGoDuration("5x").ok());
  EXPECT_FALSE(ParseGoDuration("-1s").ok());
  EXPECT_FALSE(ParseGoDuration("s").ok());
}

TEST(FormatGoDurationTest, MatchesGo) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(FormatGoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(2'000'000'000)), "2s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(90'000'000'000)), "1m30s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(500'000'000)), "500ms");
  EXPECT_EQ(FormatGoDuration(nanoseconds(3'600'000'000'000)), "1h0m0s");
}

}  // namespace
}  // namespace etcdsnap
