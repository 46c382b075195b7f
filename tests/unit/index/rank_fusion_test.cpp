#include "index/rank_fusion.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(RankFusionTest, SumsReciprocalRanks) {
  // a: vector 1, keyword 3; b: vector 2 only; c: keyword 1 only; d: vector 3, keyword 2.
  auto fused = FuseReciprocalRank({1, 2, 4}, {3, 4, 1}, 60);
  ASSERT_EQ(fused.size(), 4u);
  EXPECT_EQ(fused[0].id, 1);
  EXPECT_NEAR(fused[0].score, 1.0 / 61 + 1.0 / 63, 1e-12);
  EXPECT_EQ(fused[0].vector_rank, 1);
  EXPECT_EQ(fused[0].keyword_rank, 3);
  EXPECT_EQ(fused[1].id, 4);
  EXPECT_NEAR(fused[1].score, 1.0 / 63 + 1.0 / 62, 1e-12);
  // b (vector 2) and c (keyword 1): c has the larger single-list score.
  EXPECT_EQ(fused[2].id, 3);
  EXPECT_EQ(fused[2].vector_rank, 0);
  EXPECT_EQ(fused[2].keyword_rank, 1);
  EXPECT_EQ(fused[3].id, 2);
}

TEST(RankFusionTest, TiesGoToBetterRankThenSmallerId) {
  // 7 is first in the vector list, 5 first in the keyword list: equal scores.
  auto fused = FuseReciprocalRank({7}, {5}, 0);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].id, 5);
  EXPECT_EQ(fused[1].id, 7);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0);
}

TEST(RankFusionTest, EmptyLists) {
  EXPECT_TRUE(FuseReciprocalRank({}, {}, 60).empty());
  auto only_keyword = FuseReciprocalRank({}, {9, 8}, 60);
  ASSERT_EQ(only_keyword.size(), 2u);
  EXPECT_EQ(only_keyword[0].id, 9);
}

}  // namespace
}  // namespace docpipe
