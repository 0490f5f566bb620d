#include "etcdsnap/snapshot/save.h"

#include <gtest/gtest.h>

namespace etcdsnap::snapshot {
namespace {

Candidate Member(uint64_t id, uint64_t leader, uint64_t applied, bool learner = false) {
  Candidate c;
  c.reachable = true;
  c.status.member_id = id;
  c.status.leader = leader;
  c.status.applied_index = applied;
  c.status.is_learner = learner;
  return c;
}

TEST(ChooseMemberTest, NoneReachable) {
  EXPECT_FALSE(ChooseMember({Candidate{}, Candidate{}}).has_value());
  EXPECT_FALSE(ChooseMember({}).has_value());
}

TEST(ChooseMemberTest, HighestAppliedIndexWins) {
  EXPECT_EQ(ChooseMember({Member(1, 1, 10), Member(2, 1, 12), Member(3, 1, 11)}), 1u);
}

TEST(ChooseMemberTest, FollowerOverLeaderOnATie) {
  EXPECT_EQ(ChooseMember({Member(1, 1, 10), Member(2, 1, 10)}), 1u);
  EXPECT_EQ(ChooseMember({Member(2, 1, 10), Member(1, 1, 10)}), 0u);
}

TEST(ChooseMemberTest, UnreachableAreSkipped) {
  EXPECT_EQ(ChooseMember({Candidate{}, Member(2, 1, 3)}), 1u);
}

TEST(ChooseMemberTest, VoterBeforeLearnerEvenIfBehind) {
  EXPECT_EQ(ChooseMember({Member(9, 1, 50, /*learner=*/true), Member(2, 1, 40)}), 1u);
  EXPECT_EQ(ChooseMember({Member(9, 1, 50, /*learner=*/true)}), 0u);
}

}  // namespace
}  // namespace etcdsnap::snapshot
