#include "common/status.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("no such object input/a.pdf");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_FALSE(s.IsRetryable());
  EXPECT_EQ(s.ToString(), "NotFound: no such object input/a.pdf");
  EXPECT_EQ(s.Annotate("ctx").message(), "ctx: no such object input/a.pdf");
  EXPECT_TRUE(Status::Unavailable("x").IsRetryable());
  EXPECT_FALSE(Status::InvalidInput("x").IsRetryable());
}

TEST(StatusTest, ResultHoldsValueOrStatus) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  Result<int> e = Status::Conflict("lost");
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsConflict());
}

}  // namespace
}  // namespace docpipe
