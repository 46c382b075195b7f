#include "pipeline/takeover_budget.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

const std::vector<std::string> kTwoStages = {"extract", "chunk"};

ControlRecord FoundIn(const std::string& stage, int interruptions, int takeovers) {
  ControlRecord r;
  r.source_key = "input/a.pdf";
  r.max_retries = 3;
  r.current_stage = stage;
  r.stage_status[stage].status = StageState::kInProgress;
  r.stage_status[stage].interruptions = interruptions;
  r.retry_count = r.takeovers = takeovers;
  return r;
}

TEST(TakeoverBudgetTest, CountsTheTakeoverAgainstTheStageInProgress) {
  ControlRecord found = FoundIn("chunk", 1, 2);
  ControlRecord next = found;
  TakeoverVerdict v = CountTakeover(found, kTwoStages, next);
  EXPECT_FALSE(v.give_up);
  EXPECT_EQ(next.retry_count, 3);
  EXPECT_EQ(next.takeovers, 3);
  EXPECT_EQ(next.stage_status["chunk"].interruptions, 2);
}

TEST(TakeoverBudgetTest, AStagePastMaxRetriesInterruptionsIsSpent) {
  ControlRecord found = FoundIn("chunk", 3, 3);
  ControlRecord next = found;
  TakeoverVerdict v = CountTakeover(found, kTwoStages, next);
  EXPECT_TRUE(v.give_up);
  EXPECT_EQ(v.error, "input/a.pdf: stage chunk was interrupted 4 times (worker lost or stalled past its lease each "
                     "time it ran); giving up");
}

TEST(TakeoverBudgetTest, LostBetweenStagesChargesNoStageButCountsTowardsTheCap) {
  ControlRecord found = FoundIn("chunk", 0, 11);
  found.stage_status["chunk"].status = StageState::kPending;  // lost before chunk started
  ControlRecord next = found;
  EXPECT_FALSE(CountTakeover(found, kTwoStages, next).give_up);  // 12 = (3 + 1) * (2 + 1): at the cap
  EXPECT_EQ(next.stage_status["chunk"].interruptions, 0);
  ControlRecord again = next;
  TakeoverVerdict v = CountTakeover(next, kTwoStages, again);
  EXPECT_TRUE(v.give_up);
  EXPECT_NE(v.error.find("interrupted 13 times in all"), std::string::npos) << v.error;
}

TEST(TakeoverBudgetTest, NeverSpentWhenEveryStageCompleted) {
  ControlRecord found = FoundIn("chunk", 9, 40);
  for (const std::string& s : kTwoStages) found.stage_status[s].status = StageState::kCompleted;
  ControlRecord next = found;
  EXPECT_FALSE(CountTakeover(found, kTwoStages, next).give_up);
}

TEST(TakeoverBudgetTest, FailureRetriesLeaveOutTheTakeovers) {
  ControlRecord r;
  r.retry_count = 5;
  r.takeovers = 3;
  EXPECT_EQ(FailureRetries(r), 2);
  r.takeovers = 0;  // a record from before takeovers were counted apart
  EXPECT_EQ(FailureRetries(r), 5);
}

}  // namespace
}  // namespace docpipe
