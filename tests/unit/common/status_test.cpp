#include "common/status.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/hash.h"

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

TEST(ClockTest, FormatsUtc) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(1795323310123), "2026-11-22T04:55:10.123Z");
  EXPECT_EQ(FormatDate(1795323310123), "2026-11-22");
}

TEST(HashTest, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.FinalHex(), Sha256Hex("abc"));
}

}  // namespace
}  // namespace docpipe
