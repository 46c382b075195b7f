#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "http/http_client.h"

namespace docpipe::testing {

// An HttpClient that records every request and answers from a script (the
// next queued answer, else `fallback`). Thread-safe.
class ScriptedHttpClient final : public HttpClient {
 public:
  explicit ScriptedHttpClient(HttpResponse fallback = {200, {}, "{}"}) : fallback_(std::move(fallback)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (script_.empty()) return fallback_;
    Result<HttpResponse> next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  //! Queues the answer to a coming request.
  void Then(Result<HttpResponse> answer) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(answer));
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  //! Requests whose header `name` equals `value` (e.g. X-Amz-Target).
  size_t CountWithHeader(const std::string& name, const std::string& value) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const HttpRequest& r : requests_) {
      const std::string* v = r.FindHeader(name);
      if (v != nullptr && *v == value) ++n;
    }
    return n;
  }

 private:
  mutable std::mutex mu_;
  HttpResponse fallback_;
  std::deque<Result<HttpResponse>> script_;
  std::vector<HttpRequest> requests_;
};

}  // namespace docpipe::testing
