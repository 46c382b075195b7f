#include "common/backoff.h"

#include <algorithm>

namespace docpipe {

int64_t JitteredBackoffMs(int attempt, int64_t base_ms, int64_t max_ms, std::mt19937_64& rng) {
  if (base_ms <= 0) return 0;
  int shift = std::clamp(attempt - 1, 0, 30);
  int64_t cap = std::min<int64_t>(max_ms, base_ms << shift);
  if (cap <= 1) return cap;
  std::uniform_int_distribution<int64_t> dist(cap / 2, cap);
  return dist(rng);
}

Status RetryTransient(Clock& clock, std::mt19937_64& rng, int attempts, const std::function<Status()>& op) {
  Status st;
  for (int i = 1; i <= attempts; ++i) {
    st = op();
    if (st.ok() || !st.IsRetryable() || st.code() == Status::Code::kInternal) return st;
    if (i < attempts) clock.SleepMs(JitteredBackoffMs(i, 50, 2000, rng));
  }
  return st;
}

}  // namespace docpipe
