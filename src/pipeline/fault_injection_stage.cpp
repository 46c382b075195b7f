#include "pipeline/fault_injection_stage.h"

#include <csignal>

#include <algorithm>

#include <fmt/format.h>

namespace docpipe {
namespace {

class FaultInjectionStage final : public Stage {
 public:
  FaultInjectionStage(StagePtr inner, StageFaults faults, Clock& clock)
      : inner_(std::move(inner)), faults_(faults), clock_(clock) {}

  std::string Name() const override { return inner_->Name(); }

  Result<StageResult> Run(const StageContext& ctx) override {
    if (!faults_.match.empty() && ctx.record.source_key.find(faults_.match) == std::string::npos) {
      return inner_->Run(ctx);
    }
    for (int64_t slept = 0; slept < faults_.delay_ms; slept += 50) {
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("injected delay cancelled");
      if (ctx.deadline_ms > 0 && clock_.NowMs() > ctx.deadline_ms) {
        return Status::Timeout(fmt::format("{}: {} passed its deadline", ctx.record.source_key, Name()));
      }
      clock_.SleepMs(std::min<int64_t>(50, faults_.delay_ms - slept));
    }
    if (faults_.crash) std::raise(SIGKILL);
    auto it = ctx.record.stage_status.find(Name());
    int attempt = it == ctx.record.stage_status.end() ? 1 : it->second.attempts;
    if (attempt <= faults_.fail_attempts) {
      return Status::Unavailable(fmt::format("injected failure of {} (attempt {} of {} set to fail)", Name(),
                                             attempt, faults_.fail_attempts));
    }
    return inner_->Run(ctx);
  }

 private:
  StagePtr inner_;
  StageFaults faults_;
  Clock& clock_;
};

int64_t EnvInt(const Environment& env, const std::string& name) {
  const std::string* value = EnvLookup(env, name);
  if (value == nullptr) return 0;
  try {
    return std::stoll(*value);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

StageFaults StageFaultsFromEnvironment(const Environment& env, const std::string& stage_name) {
  std::string upper = stage_name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  StageFaults f;
  f.delay_ms = EnvInt(env, "DOCPIPE_FAULT_" + upper + "_DELAY_MS");
  f.fail_attempts = static_cast<int>(EnvInt(env, "DOCPIPE_FAULT_" + upper + "_FAIL_ATTEMPTS"));
  f.crash = EnvInt(env, "DOCPIPE_FAULT_" + upper + "_CRASH") != 0;
  f.match = EnvValue(env, "DOCPIPE_FAULT_" + upper + "_MATCH");
  return f;
}

StagePtr WrapWithFaults(StagePtr inner, StageFaults faults, Clock& clock) {
  if (!faults.any()) return inner;
  return std::make_unique<FaultInjectionStage>(std::move(inner), faults, clock);
}

}  // namespace docpipe
