// The Clock's waits (common/clock.h): the system clock waits real time and
// wakes on Stop; the fake clock (tests/support/fake_clock.h) wakes only when
// it is advanced far enough, so timer loops run without real sleeps.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/fake_clock.h"

namespace docpipe {
namespace {

TEST(ClockTest, FormatsUtc) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(1795323310123), "2026-11-22T04:55:10.123Z");
  EXPECT_EQ(FormatDate(1795323310123), "2026-11-22");
}

TEST(ClockTest, SystemClockWaitsTheTimeOrUntilStopped) {
  std::unique_ptr<Clock> clock = NewSystemClock();
  StopSignal stop;
  const int64_t before = clock->MonotonicMs();
  EXPECT_FALSE(clock->WaitFor(30, stop));
  EXPECT_GE(clock->MonotonicMs() - before, 30);
  // Stopped from another thread: the wait ends long before its hour.
  std::thread stopper([&] { stop.Stop(); });
  const int64_t start = clock->MonotonicMs();
  EXPECT_TRUE(clock->WaitFor(3'600'000, stop));
  stopper.join();
  EXPECT_LT(clock->MonotonicMs() - start, 60'000);
  // Once stopped, every later wait returns at once.
  EXPECT_TRUE(clock->WaitFor(3'600'000, stop));
  EXPECT_TRUE(stop.stopped());
}

TEST(ClockTest, MonotonicTimeNeverGoesBack) {
  std::unique_ptr<Clock> clock = NewSystemClock();
  int64_t last = clock->MonotonicMs();
  for (int i = 0; i < 1000; ++i) {
    int64_t now = clock->MonotonicMs();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(FakeClockTest, WaitEndsOnlyWhenAdvancedFarEnough) {
  testing::FakeClock clock;
  StopSignal stop;
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    EXPECT_FALSE(clock.WaitFor(1'000, stop));
    woke = true;
  });
  ASSERT_TRUE(clock.AwaitWaits(1));
  clock.Advance(999);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // room to (wrongly) wake
  EXPECT_FALSE(woke.load()) << "one millisecond short";
  clock.Advance(1);
  waiter.join();
  EXPECT_TRUE(woke.load());
}

TEST(FakeClockTest, StopEndsAWaitWithoutTime) {
  testing::FakeClock clock;
  StopSignal stop;
  const TimeMs start = clock.NowMs();
  std::thread waiter([&] { EXPECT_TRUE(clock.WaitFor(60'000, stop)); });
  ASSERT_TRUE(clock.AwaitWaits(1));
  stop.Stop();
  waiter.join();
  EXPECT_EQ(clock.NowMs(), start);
}

TEST(FakeClockTest, SleepMovesTimeAndWakesWaiters) {
  testing::FakeClock clock;
  StopSignal stop;
  std::thread waiter([&] { EXPECT_FALSE(clock.WaitFor(500, stop)); });
  ASSERT_TRUE(clock.AwaitWaits(1));
  clock.SleepMs(500);  // another thread's backoff moves everyone's time
  waiter.join();
  EXPECT_EQ(clock.slept_ms(), 500);
}

}  // namespace
}  // namespace docpipe
