// A test program whose suites fail the ways that would otherwise be reported
// as skips; check_never_skipped.cmake runs it (see tests/support/test_main.cpp).
#include <gtest/gtest.h>

namespace {

class SetUpTestSuiteFails : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(false) << "a peer the suite needs is missing"; }
};

TEST_F(SetUpTestSuiteFails, IsReportedAsFailed) {}

TEST(GtestSkip, IsReportedAsFailed) { GTEST_SKIP() << "no peer"; }

TEST(Passing, Passes) { EXPECT_EQ(1 + 1, 2); }

}  // namespace
