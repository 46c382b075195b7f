#pragma once

#include <atomic>
#include <functional>
#include <mutex>

#include "common/clock.h"

namespace docpipe::testing {

// A Clock that only moves when told to. SleepMs advances time instantly (and
// runs the optional sleep hook), so code that polls or backs off runs at full
// speed and deterministically in tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  // 2026-11-22T04:55:10.000Z: a realistic epoch so formatted times look real.
  static constexpr TimeMs kDefaultStart = 1795323310000;

  explicit FakeClock(TimeMs start = kDefaultStart) : now_(start) {}

  TimeMs NowMs() const override { return now_.load(); }

  void SleepMs(int64_t ms) override {
    if (ms > 0) now_ += ms;
    ++sleeps_;
    slept_ms_ += ms > 0 ? ms : 0;
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      hook = on_sleep_;
    }
    if (hook) hook();
  }

  //! Moves time forward by `ms`.
  void Advance(int64_t ms) { now_ += ms; }
  void Set(TimeMs t) { now_ = t; }
  //! Runs `hook` after every SleepMs (e.g. to make a message arrive mid-poll).
  void OnSleep(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_sleep_ = std::move(hook);
  }
  //! Number of SleepMs calls and total milliseconds slept.
  int64_t sleeps() const { return sleeps_.load(); }
  int64_t slept_ms() const { return slept_ms_.load(); }

 private:
  std::atomic<TimeMs> now_;
  std::atomic<int64_t> sleeps_{0};
  std::atomic<int64_t> slept_ms_{0};
  std::mutex mu_;
  std::function<void()> on_sleep_;
};

}  // namespace docpipe::testing
