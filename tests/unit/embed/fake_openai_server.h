#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "tokenize/bpe_tokenizer.h"

namespace httplib {
class Server;
}

namespace docpipe::testing {

// What the fake enforces. Defaults are OpenAI's documented limits for the
// embedding models; rate limits are off unless set.
struct FakeOpenAiOptions {
  std::string api_key = "sk-test-docpipe-0123456789abcdefghij";
  int max_inputs = 2048;
  int64_t max_tokens_per_request = 300000;
  int64_t max_tokens_per_input = 8192;
  // Token buckets like OpenAI's (capacity one minute's worth, refilled
  // continuously, full at start); a request that does not fit gets 429 and is
  // not charged. 0 = no limit.
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
  bool retry_after_on_429 = false;  // also send Retry-After (seconds) with a limiter 429
  // Models the fake serves besides OpenAI's three (name -> dimensions; they
  // take no `dimensions` parameter).
  std::map<std::string, int> extra_models;
  bool record_bodies = true;  // keep each request's body (tests); the benchmark turns it off
};

struct RecordedRequest {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // names lower-cased
  int status = 0;                              // what the fake answered
};

// A reply the fake gives instead of (or, with `then_process`, after a delay
// before) its normal processing; scripted replies are used in order.
struct CannedReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t delay_ms = 0;  // real time, before answering
  bool then_process = false;
};

// An in-process OpenAI embeddings endpoint (POST /v1/embeddings) on a
// loopback port: authenticates the bearer key, validates the body as OpenAI
// does, counts tokens exactly (cl100k_base, the embedding models' encoding)
// and rejects requests over the documented limits (counted as violations),
// enforces optional requests/tokens per minute on `clock`, and answers with
// deterministic L2-normalised vectors (base64 or float), usage and OpenAI's
// x-ratelimit-* headers. Records every request.
class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(Clock& clock, FakeOpenAiOptions options = {});
  ~FakeOpenAiServer();
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  //! "http://127.0.0.1:PORT/v1", the base_url for clients.
  std::string base_url() const;
  const FakeOpenAiOptions& options() const { return options_; }

  void Script(std::vector<CannedReply> replies);
  //! Applied to every successful answer before it is sent (wrong counts...).
  void Mutate(std::function<void(nlohmann::json&)> fn);

  std::vector<RecordedRequest> requests() const;
  //! Requests rejected for breaking a documented limit, and why.
  std::vector<std::string> violations() const;
  //! 429s the fake's own rate limiter gave.
  int64_t throttled() const { return throttled_; }
  int max_in_flight() const { return max_in_flight_; }
  int64_t tokens_served() const { return tokens_served_; }

  //! The vector the fake returns for `text` (OpenAI's way of shortening:
  //! the full vector cut to `dimensions` and renormalised).
  static std::vector<float> Vector(const std::string& model, const std::string& text, int dimensions);
  //! Default dimensions of a model the fake serves, 0 for others.
  int ModelDimensions(const std::string& model) const;

 private:
  struct Answer;
  Answer Handle(const std::string& method, const std::string& path,
                const std::map<std::string, std::string>& headers, const std::string& body);
  Answer RateLimit(int64_t tokens, const std::string& model);
  std::vector<std::pair<std::string, std::string>> RateHeaders();

  Clock& clock_;
  FakeOpenAiOptions options_;
  BpeTokenizerPtr tokenizer_;  // cl100k_base
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  std::vector<CannedReply> script_;
  size_t script_pos_ = 0;
  std::function<void(nlohmann::json&)> mutate_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> violations_;
  // Server-side buckets (guarded by mu_).
  double req_level_ = 0, tok_level_ = 0;
  TimeMs last_refill_ = 0;

  std::atomic<int64_t> throttled_{0};
  std::atomic<int64_t> tokens_served_{0};
  std::atomic<int64_t> answered_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

//! Go-style duration as OpenAI writes x-ratelimit-reset-*: "20ms", "1s", "6m0s", "1.5s".
std::string FormatGoDuration(int64_t ms);

}  // namespace docpipe::testing
