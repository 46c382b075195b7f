#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace docpipe {

// Milliseconds since the Unix epoch, UTC.
using TimeMs = int64_t;

// Wakes the threads waiting on a Clock with it (Clock::WaitFor) before their
// time is up: once Stop() is called, every current and later wait with this
// signal returns at once. One per loop, stopped when the loop must end.
// Thread-safe.
class StopSignal {
 public:
  //! Ends every wait on this signal, now and from now on.
  void Stop();
  bool stopped() const;

  //! For Clock implementations: blocks while `keep_waiting` (evaluated under
  //! the signal's lock) holds and the signal is not stopped, at most
  //! `real_timeout_ms` of real time (< 0: no limit). True when stopped.
  bool Await(const std::function<bool()>& keep_waiting, int64_t real_timeout_ms);
  //! For Clock implementations: wakes the waiters so they look at their
  //! condition again (their clock moved).
  void Notify();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

// Source of time, and of waiting for it. Passed by reference so tests can
// substitute a fake clock that only moves when told to: loops that wait on
// it (heartbeats, the head loop, the CloudWatch flusher, extraction deadline
// watches) then run deterministically without sleeping. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  //! Current wall-clock time.
  virtual TimeMs NowMs() const = 0;
  //! A time that only moves forward, for intervals (wall time may jump).
  virtual int64_t MonotonicMs() const = 0;
  //! Blocks the calling thread for `ms` (a fake clock may just advance).
  virtual void SleepMs(int64_t ms) = 0;
  //! Blocks until `ms` have passed on this clock or `stop` is stopped; true
  //! when stopped (at once when it already was).
  virtual bool WaitFor(int64_t ms, StopSignal& stop) = 0;
};

std::unique_ptr<Clock> NewSystemClock();

// "2026-11-26T04:55:10.123Z"
std::string FormatIso8601(TimeMs t);
// "2026-11-26"
std::string FormatDate(TimeMs t);

}  // namespace docpipe
