#include "http/http_retry.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace docpipe {

namespace {

// A wait from a header, in whole milliseconds: a huge value ("1e30") is held
// to a day before the conversion, which it would overflow.
int64_t HttpRetryWaitMs(double ms) { return static_cast<int64_t>(std::min(ms, 86'400'000.0)); }

}  // namespace

bool IsRetryableHttpStatus(int status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

int64_t RetryAfterMs(const HttpResponse& r, TimeMs now) {
  if (const std::string* ms = r.FindHeader("retry-after-ms")) {
    char* end = nullptr;
    double v = std::strtod(ms->c_str(), &end);
    if (end != ms->c_str() && v >= 0) return HttpRetryWaitMs(v);
  }
  const std::string* ra = r.FindHeader("retry-after");
  if (ra == nullptr || ra->empty()) return -1;
  char* end = nullptr;
  double seconds = std::strtod(ra->c_str(), &end);
  if (end != ra->c_str() && *end == '\0' && seconds >= 0) return HttpRetryWaitMs(seconds * 1000);
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  if (strptime(ra->c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return -1;
  const int64_t at = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at - now);
}

bool SleepUnlessAborted(Clock& clock, int64_t ms, const std::function<bool()>& abort_if) {
  if (!abort_if) {
    if (ms > 0) clock.SleepMs(ms);
    return true;
  }
  for (int64_t slept = 0; slept < ms; slept += kAbortPollMs) {
    if (abort_if()) return false;
    clock.SleepMs(std::min(kAbortPollMs, ms - slept));
  }
  return !abort_if();
}

HttpRetrier::HttpRetrier(HttpClient& http, Clock& clock, HttpRetryOptions options, WaitHint hint)
    : http_(http), clock_(clock), options_(options), hint_(std::move(hint)), rng_(std::random_device{}()) {}

int64_t HttpRetrier::BackoffMs(int retry) {
  const int64_t ceiling = std::min(options_.cap_ms, options_.base_ms << std::min(retry, 20));
  std::lock_guard<std::mutex> lock(rng_mu_);
  return std::uniform_int_distribution<int64_t>(0, ceiling)(rng_);
}

Result<HttpResponse> HttpRetrier::Send(const HttpRequest& request, int* attempts) {
  Result<HttpResponse> last = Status::Internal("no attempt made");
  const int max_attempts = std::max(1, options_.max_attempts);
  auto aborted = [&] { return request.abort_if && request.abort_if(); };
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    if (aborted()) return Status::Cancelled("request abandoned (cancelled or past its deadline)");
    if (attempts != nullptr) *attempts = attempt + 1;
    last = http_.Send(request);
    int64_t server_wait = -1;
    if (last.ok()) {
      if (!IsRetryableHttpStatus(last->status)) return last;
      server_wait = RetryAfterMs(*last, clock_.NowMs());
      if (hint_) server_wait = std::max(server_wait, hint_(*last));
    }
    if (attempt + 1 == max_attempts) break;
    int64_t wait = BackoffMs(attempt);
    if (server_wait >= 0) wait = std::max(wait, std::min(server_wait, options_.max_server_wait_ms));
    // The wait (a Retry-After may ask for minutes) ends early when the
    // caller gives up.
    if (!SleepUnlessAborted(clock_, wait, request.abort_if)) {
      return Status::Cancelled("request abandoned (cancelled or past its deadline)");
    }
  }
  return last;
}

}  // namespace docpipe
