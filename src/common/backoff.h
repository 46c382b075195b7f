#pragma once

#include <cstdint>
#include <functional>
#include <random>

#include "common/clock.h"
#include "common/status.h"

namespace docpipe {

// Exponential backoff with "equal jitter": attempt n (1-based) waits between
// half and all of min(max_ms, base_ms * 2^(n-1)), so retries of many workers
// spread out instead of arriving together.
int64_t JitteredBackoffMs(int attempt, int64_t base_ms, int64_t max_ms, std::mt19937_64& rng);

// Runs `op` until it succeeds, fails with a non-retryable status, or
// `attempts` runs are used; waits a jittered backoff between runs. For short
// local operations (database busy, transient I/O).
Status RetryTransient(Clock& clock, std::mt19937_64& rng, int attempts, const std::function<Status()>& op);

}  // namespace docpipe
