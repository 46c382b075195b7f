// PeriodicTask (common/periodic_task.h), driven by the fake clock: one tick per
// interval of clock time, none before, none after Stop.
#include "common/periodic_task.h"

#include <gtest/gtest.h>

#include <atomic>

#include "support/fake_clock.h"

namespace docpipe {
namespace {

TEST(PeriodicTaskTest, TicksOncePerIntervalOfClockTime) {
  testing::FakeClock clock;
  std::atomic<int> ticks{0};
  PeriodicTask task(clock, 60'000, [&] { ++ticks; });
  ASSERT_TRUE(clock.AwaitWaits(1));
  // Not due yet: the loop stays in its wait (no new wait begins within 50 ms
  // of real time, which a wrong early tick would start).
  clock.Advance(59'999);
  EXPECT_FALSE(clock.AwaitWaits(clock.waits() + 1, 50));
  EXPECT_EQ(ticks.load(), 0) << "not before the interval";
  ASSERT_TRUE(clock.AdvanceAndSettle(1));
  EXPECT_EQ(ticks.load(), 1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(clock.AdvanceAndSettle(60'000));
  EXPECT_EQ(ticks.load(), 6);
  task.Stop();
  clock.Advance(600'000);
  EXPECT_EQ(ticks.load(), 6) << "no tick after Stop";
}

TEST(PeriodicTaskTest, StopWaitsForTheTickInProgress) {
  testing::FakeClock clock;
  std::atomic<bool> in_tick{false}, finished{false};
  std::atomic<bool> release{false};
  auto task = std::make_unique<PeriodicTask>(clock, 1'000, [&] {
    in_tick = true;
    while (!release.load()) std::this_thread::yield();
    finished = true;
  });
  ASSERT_TRUE(clock.AwaitWaits(1));
  clock.Advance(1'000);
  while (!in_tick.load()) std::this_thread::yield();
  std::thread stopper([&] { task.reset(); });  // Stop + join
  release = true;
  stopper.join();
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace docpipe
