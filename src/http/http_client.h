#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace docpipe {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, already percent-encoded
  // Header names as given; sent in this order. Host is derived from the URL
  // unless present here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeout_ms = 30'000;          // whole exchange; 0 = no limit (long polls)
  int64_t connect_timeout_ms = 5'000;
  // Polled at least every 100 ms while the exchange runs; true ends it with
  // Cancelled. Lets a long poll with no timeout stop on shutdown, and a
  // stage's deadline end a request on the wire.
  std::function<bool()> abort_if;

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(const std::string& name) const;
  void SetHeader(const std::string& name, std::string value);  // replaces any same-named header
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  const std::string* FindHeader(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

// One HTTP exchange, no retries (callers decide what is retryable).
// A transport failure (DNS, connect, reset, TLS) is Unavailable; a timeout is
// Timeout; an exchange ended by `abort_if` is Cancelled. Any HTTP status,
// including 4xx/5xx, is a successful exchange.
// Thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

using HttpClientPtr = std::unique_ptr<HttpClient>;

// Transport failures where the request cannot have reached the server
// (resolve, connect) carry this message prefix, so that even calls that are
// not idempotent can be retried safely (IsConnectFailure).
inline constexpr const char* kConnectFailedPrefix = "connection failed: ";
bool IsConnectFailure(const Status& status);

}  // namespace docpipe
