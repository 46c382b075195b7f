#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <random>

#include "common/clock.h"
#include "http/http_client.h"

namespace docpipe {

// Retries for plain HTTPS JSON APIs (OpenAI, Pinecone); AWS calls use
// AwsClient's standard retry mode instead.
struct HttpRetryOptions {
  int max_attempts = 6;
  int64_t base_ms = 500;   // full-jitter exponential backoff: random(0, min(cap, base * 2^n))
  int64_t cap_ms = 30'000;
  int64_t max_server_wait_ms = 120'000;  // longest Retry-After (or hint) honoured
};

// How often a wait between attempts looks at the request's abort_if.
inline constexpr int64_t kAbortPollMs = 100;

// Sleeps `ms` on `clock`, in slices of kAbortPollMs when `abort_if` is set,
// looking at it before each: false, at once, when it says stop. The one wait
// of every remote call that a deadline must end (HttpRetrier's and
// AwsClient's backoffs, the OpenAI embedder's rate limiter).
bool SleepUnlessAborted(Clock& clock, int64_t ms, const std::function<bool()>& abort_if);

// Extra wait hints a service puts in its answers (e.g. OpenAI's
// x-ratelimit-reset-requests); returns milliseconds, or -1 for none.
using WaitHint = std::function<int64_t(const HttpResponse&)>;

// Whether an answer is worth repeating: 408, 409 (OpenAI's lock timeouts),
// 429 and 5xx.
bool IsRetryableHttpStatus(int status);

// Seconds ("7", "1.5") or an HTTP date in a Retry-After header (also
// "retry-after-ms"), as milliseconds from `now`; -1 when absent or unparsable.
int64_t RetryAfterMs(const HttpResponse& response, TimeMs now);

// Sends `request` until it gets a non-retryable answer or max_attempts are
// used. Transport errors and timeouts are retried too (the callers' requests
// are idempotent: embeddings and vector upserts by id). Waits the longest of
// the jittered backoff, Retry-After and `hint`, capped at max_server_wait_ms.
// Returns the last answer (which may be a retryable status once attempts run
// out) or the last transport error; Cancelled as soon as the request's
// `abort_if` says so (before an attempt, and during waits between them). `attempts`, when given, receives the
// number of requests sent. Thread-safe.
class HttpRetrier {
 public:
  HttpRetrier(HttpClient& http, Clock& clock, HttpRetryOptions options, WaitHint hint = {});
  Result<HttpResponse> Send(const HttpRequest& request, int* attempts = nullptr);

 private:
  int64_t BackoffMs(int retry);

  HttpClient& http_;
  Clock& clock_;
  HttpRetryOptions options_;
  WaitHint hint_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace docpipe
