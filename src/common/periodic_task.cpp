#include "common/periodic_task.h"

namespace docpipe {

PeriodicTask::PeriodicTask(Clock& clock, int64_t interval_ms, std::function<void()> tick)
    : clock_(clock), interval_ms_(interval_ms), tick_(std::move(tick)), thread_([this] {
        while (!clock_.WaitFor(interval_ms_, stop_)) tick_();
      }) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace docpipe
