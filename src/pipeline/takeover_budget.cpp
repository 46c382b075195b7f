#include "pipeline/takeover_budget.h"

#include <algorithm>

#include <fmt/format.h>

namespace docpipe {
namespace {

int MaxTakeovers(int max_retries, size_t stages) {
  return (max_retries + 1) * (static_cast<int>(stages) + 1);
}

bool AllCompleted(const ControlRecord& r, const std::vector<std::string>& stages) {
  return std::all_of(stages.begin(), stages.end(), [&](const std::string& name) {
    auto it = r.stage_status.find(name);
    return it != r.stage_status.end() && it->second.status == StageState::kCompleted;
  });
}

}  // namespace

TakeoverVerdict CountTakeover(const ControlRecord& found, const std::vector<std::string>& stages, ControlRecord& next) {
  next.retry_count += 1;
  next.takeovers += 1;
  StageStatus* running = nullptr;
  if (auto it = next.stage_status.find(found.current_stage);
      it != next.stage_status.end() && it->second.status == StageState::kInProgress) {
    running = &it->second;
    running->interruptions += 1;
  }
  const bool stage_spent = running != nullptr && running->interruptions > next.max_retries;
  const bool all_spent = next.takeovers > MaxTakeovers(next.max_retries, stages.size());
  TakeoverVerdict verdict;
  if ((!stage_spent && !all_spent) || AllCompleted(found, stages)) return verdict;
  verdict.give_up = true;
  verdict.error = CapError(
      stage_spent ? fmt::format("{}: stage {} was interrupted {} times (worker lost or stalled past its lease each "
                                "time it ran); giving up",
                                found.source_key, found.current_stage, running->interruptions)
                  : fmt::format("{}: processing was interrupted {} times in all (worker lost or stalled past its "
                                "lease), more than {} per stage; giving up",
                                found.source_key, next.takeovers, next.max_retries + 1));
  return verdict;
}

int FailureRetries(const ControlRecord& r) { return std::max(0, r.retry_count - r.takeovers); }

}  // namespace docpipe
