#pragma once

#include <string>

#include "common/environment.h"
#include "pipeline/stage.h"

namespace docpipe {

// Test-only fault injection (the DuckDB FaultInjectionFileSystem idea): wraps
// a stage to make it slow or fail, so tests can kill a worker mid-stage or
// drive the retry path deterministically on real binaries. Configured by
// DOCPIPE_FAULT_<STAGE>_DELAY_MS (sleep in cancellable slices) and
// DOCPIPE_FAULT_<STAGE>_FAIL_ATTEMPTS=N (attempts 1..N fail with Unavailable),
// DOCPIPE_FAULT_<STAGE>_CRASH=1 (the process kills itself with SIGKILL after
// the delay, as an OOM kill would: a poison document),
// limited to documents whose source key contains DOCPIPE_FAULT_<STAGE>_MATCH
// when that is set. The delay honours the stage deadline like a real stage.
struct StageFaults {
  int64_t delay_ms = 0;
  int fail_attempts = 0;
  bool crash = false;
  std::string match;  // "" = every document
  bool any() const { return delay_ms > 0 || fail_attempts > 0 || crash; }
};

StageFaults StageFaultsFromEnvironment(const Environment& env, const std::string& stage_name);
StagePtr WrapWithFaults(StagePtr inner, StageFaults faults, Clock& clock);

}  // namespace docpipe
