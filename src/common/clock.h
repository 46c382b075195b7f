#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace docpipe {

// Milliseconds since the Unix epoch, UTC.
using TimeMs = int64_t;

// Source of time. Passed by reference so tests can substitute a fake clock.
// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  //! Current wall-clock time.
  virtual TimeMs NowMs() const = 0;
  //! Blocks the calling thread for `ms` (a fake clock may just advance).
  virtual void SleepMs(int64_t ms) = 0;
};

std::unique_ptr<Clock> NewSystemClock();

// "2026-11-26T04:55:10.123Z"
std::string FormatIso8601(TimeMs t);
// "2026-11-26"
std::string FormatDate(TimeMs t);

}  // namespace docpipe
