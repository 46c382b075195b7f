#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>

#include "common/clock.h"

namespace docpipe::testing {

// A Clock that only moves when told to. SleepMs advances time instantly (and
// runs the optional sleep hook), so code that polls or backs off runs at full
// speed and deterministically in tests. WaitFor blocks until Advance (or a
// SleepMs) moves the time far enough, or its StopSignal stops: a test drives
// a timer loop by advancing the clock, then AwaitWaits for the loop to have
// done its work and waited again. Thread-safe.
class FakeClock final : public Clock {
 public:
  // 2026-11-22T04:55:10.000Z: a realistic epoch so formatted times look real.
  static constexpr TimeMs kDefaultStart = 1795323310000;

  explicit FakeClock(TimeMs start = kDefaultStart) : now_(start) {}

  TimeMs NowMs() const override { return now_.load(); }
  int64_t MonotonicMs() const override { return now_.load(); }

  void SleepMs(int64_t ms) override {
    if (ms > 0) Advance(ms);
    ++sleeps_;
    slept_ms_ += ms > 0 ? ms : 0;
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      hook = on_sleep_;
    }
    if (hook) hook();
  }

  bool WaitFor(int64_t ms, StopSignal& stop) override {
    const TimeMs deadline = now_.load() + (ms > 0 ? ms : 0);
    {
      std::lock_guard lock(mu_);
      waiting_.insert(&stop);
      ++waits_;
    }
    waits_cv_.notify_all();
    const bool stopped = stop.Await([&] { return now_.load() < deadline; }, -1);
    {
      std::lock_guard lock(mu_);
      waiting_.erase(waiting_.find(&stop));
    }
    return stopped;
  }

  //! Moves time forward by `ms`, waking the waits that are then due.
  void Advance(int64_t ms) {
    now_ += ms;
    WakeWaiters();
  }
  void Set(TimeMs t) {
    now_ = t;
    WakeWaiters();
  }

  //! WaitFor calls begun so far, by every thread.
  int64_t waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }
  //! Blocks until `count` WaitFor calls have begun (a loop woken by Advance
  //! has done its work and waits again); false after `real_timeout_ms` of
  //! real time.
  bool AwaitWaits(int64_t count, int64_t real_timeout_ms = 10'000) {
    std::unique_lock lock(mu_);
    return waits_cv_.wait_for(lock, std::chrono::milliseconds(real_timeout_ms), [&] { return waits_ >= count; });
  }
  //! Advances by `ms` and waits until the loops it woke wait again: `loops`
  //! more WaitFor calls than before. False on the real timeout.
  bool AdvanceAndSettle(int64_t ms, int64_t loops = 1) {
    const int64_t before = waits();
    Advance(ms);
    return AwaitWaits(before + loops);
  }

  //! Runs `hook` after every SleepMs (e.g. to make a message arrive mid-poll).
  void OnSleep(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_sleep_ = std::move(hook);
  }
  //! Number of SleepMs calls and total milliseconds slept.
  int64_t sleeps() const { return sleeps_.load(); }
  int64_t slept_ms() const { return slept_ms_.load(); }

 private:
  void WakeWaiters() {
    std::lock_guard lock(mu_);
    for (StopSignal* s : waiting_) s->Notify();
  }

  std::atomic<TimeMs> now_;
  std::atomic<int64_t> sleeps_{0};
  std::atomic<int64_t> slept_ms_{0};
  mutable std::mutex mu_;
  std::condition_variable waits_cv_;
  std::multiset<StopSignal*> waiting_;
  int64_t waits_ = 0;
  std::function<void()> on_sleep_;
};

}  // namespace docpipe::testing
