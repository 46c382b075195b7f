// Backoff (common/backoff.h): jittered exponential waits, and RetryTransient
// on the fake clock (its waits take no real time).
#include "common/backoff.h"

#include <gtest/gtest.h>

#include <set>

#include "support/fake_clock.h"

namespace docpipe {
namespace {

TEST(BackoffTest, GrowsExponentiallyWithinJitterBounds) {
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 6; ++attempt) {
    int64_t cap = std::min<int64_t>(1000LL << (attempt - 1), 20000);
    std::set<int64_t> seen;
    for (int i = 0; i < 200; ++i) {
      int64_t d = JitteredBackoffMs(attempt, 1000, 20000, rng);
      EXPECT_GE(d, cap / 2);
      EXPECT_LE(d, cap);
      seen.insert(d);
    }
    EXPECT_GT(seen.size(), 50u) << "no jitter at attempt " << attempt;
  }
  EXPECT_EQ(JitteredBackoffMs(3, 0, 1000, rng), 0);
}

TEST(RetryTransientTest, RetriesRetryableErrorsWithBackoffOnTheClock) {
  testing::FakeClock clock;
  std::mt19937_64 rng(7);
  int calls = 0;
  Status st = RetryTransient(clock, rng, 5, [&] {
    return ++calls < 3 ? Status::Unavailable("database is locked") : Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.sleeps(), 2);
  EXPECT_GE(clock.slept_ms(), 25 + 50) << "half to all of 50 ms, then of 100 ms";
  EXPECT_LE(clock.slept_ms(), 50 + 100);
}

TEST(RetryTransientTest, GivesUpAfterTheAttemptsWithTheLastError) {
  testing::FakeClock clock;
  std::mt19937_64 rng(7);
  int calls = 0;
  Status st = RetryTransient(clock, rng, 4, [&] { return Status::Timeout("try " + std::to_string(++calls)); });
  EXPECT_EQ(st.code(), Status::Code::kTimeout);
  EXPECT_EQ(st.message(), "try 4");
  EXPECT_EQ(clock.sleeps(), 3) << "no wait after the last attempt";
}

TEST(RetryTransientTest, ErrorsThatRetryingCannotMendReturnAtOnce) {
  for (Status fatal : {Status::InvalidInput("bad"), Status::NotFound("gone"), Status::Conflict("raced"),
                       Status::Internal("bug")}) {
    testing::FakeClock clock;
    std::mt19937_64 rng(7);
    int calls = 0;
    Status st = RetryTransient(clock, rng, 5, [&] {
      ++calls;
      return fatal;
    });
    EXPECT_EQ(st.code(), fatal.code()) << fatal.ToString();
    EXPECT_EQ(calls, 1) << fatal.ToString();
    EXPECT_EQ(clock.sleeps(), 0);
  }
}

}  // namespace
}  // namespace docpipe
