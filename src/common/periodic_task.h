#pragma once

#include <cstdint>
#include <functional>
#include <thread>

#include "common/clock.h"

namespace docpipe {

// Runs `tick` every `interval_ms` of `clock` time on a thread of its own,
// from construction until Stop() or destruction (the tick in progress
// finishes first; no tick runs after Stop returns). For the head loop and the
// CloudWatch flusher; a fake clock drives it in tests.
class PeriodicTask {
 public:
  PeriodicTask(Clock& clock, int64_t interval_ms, std::function<void()> tick);
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  //! Ends the loop and waits for its thread.
  void Stop();

 private:
  Clock& clock_;
  const int64_t interval_ms_;
  const std::function<void()> tick_;
  StopSignal stop_;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace docpipe
