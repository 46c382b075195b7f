// The OpenAI embeddings adapter. What the official client (openai-node) sends
// is the reference for the request; tests/unit/embed/openai_capture.mjs
// checks it against that client.

#include "embed/openai_embedder.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "tokenize/bpe_tokenizer.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

constexpr int kMaxConcurrency = 64;
// A vector whose norm is this close to 1 is taken as OpenAI's normalised
// output and kept bit for bit; others are normalised here.
constexpr double kNormTolerance = 1e-3;
// The client's buckets hold this much less than a minute's budget: the server
// charges a request when it arrives, later than we charge it, and a bucket
// that is full meanwhile loses that refill. Headroom of r * d keeps us under
// the server's bucket for arrival delays up to d.
constexpr int64_t kLimiterHeadroomMs = 2000;
// Below this many texts, counting tokens on extra threads costs more than it saves.
constexpr size_t kMinTextsPerCountThread = 64;

struct ModelInfo {
  const char* name;
  int default_dimensions;
  bool takes_dimensions;
  double usd_per_million_tokens;
};

// OpenAI's embedding models (prices as of 2025).
constexpr ModelInfo kModels[] = {
    {"text-embedding-3-small", 1536, true, 0.02},
    {"text-embedding-3-large", 3072, true, 0.13},
    {"text-embedding-ada-002", 1536, false, 0.10},
};

const ModelInfo* FindModel(const std::string& model) {
  for (const ModelInfo& m : kModels) {
    if (model == m.name) return &m;
  }
  return nullptr;
}

bool TakesDimensions(const std::string& model) { return model.rfind("text-embedding-3-", 0) == 0; }

// Header values must not smuggle in line breaks; keys have no spaces either.
bool HasControl(const std::string& s, bool space_too) {
  return std::any_of(s.begin(), s.end(),
                     [&](unsigned char c) { return c < 0x20 || c == 0x7f || (space_too && c == ' '); });
}

std::optional<double> HeaderNumber(const HttpResponse& r, const char* name) {
  const std::string* v = r.FindHeader(name);
  if (v == nullptr || v->empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0' || !std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

// How long until `needed` units of one OpenAI limit are back, from the
// x-ratelimit-{remaining,limit,reset}-<kind> headers: the reset header is the
// time until the whole limit is back, refilled linearly, so the part we need
// takes its share of it. -1 when the headers say nothing.
int64_t ResetWaitMs(const HttpResponse& r, const std::string& kind, double needed) {
  const std::string* reset = r.FindHeader("x-ratelimit-reset-" + kind);
  if (reset == nullptr) return -1;
  const int64_t reset_ms = ParseOpenAiDurationMs(*reset);
  if (reset_ms < 0) return -1;
  const std::optional<double> remaining = HeaderNumber(r, ("x-ratelimit-remaining-" + kind).c_str());
  const std::optional<double> limit = HeaderNumber(r, ("x-ratelimit-limit-" + kind).c_str());
  if (remaining && limit && *limit > *remaining) {
    if (*remaining >= needed) return 0;  // not this limit that stopped us
    const double share = std::min(1.0, (needed - *remaining) / (*limit - *remaining));
    return static_cast<int64_t>(std::ceil(static_cast<double>(reset_ms) * share));
  }
  return reset_ms;
}

// A continuously refilled bucket of `capacity` units (0 = unlimited).
class TokenBucket {
 public:
  TokenBucket(double capacity, double per_ms, TimeMs now)
      : capacity_(capacity), per_ms_(per_ms), level_(capacity), last_(now) {}
  bool unlimited() const { return capacity_ <= 0; }
  double capacity() const { return capacity_; }
  void Refill(TimeMs now) {
    if (unlimited() || now <= last_) return;
    level_ = std::min(capacity_, level_ + static_cast<double>(now - last_) * per_ms_);
    last_ = now;
  }
  // Milliseconds until `n` units are there (0: now). More than the capacity
  // is served once the bucket is full.
  int64_t WaitMs(double n) const {
    if (unlimited()) return 0;
    n = std::min(n, capacity_);
    if (level_ >= n) return 0;
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((n - level_) / per_ms_)));
  }
  void Take(double n) {
    if (!unlimited()) level_ -= n;
  }
  void Lower(double to) {
    if (!unlimited()) level_ = std::min(level_, to);
  }

 private:
  double capacity_, per_ms_, level_;
  TimeMs last_;
};

TokenBucket MakeBucket(int64_t per_minute, double at_least, TimeMs now) {
  if (per_minute <= 0) return TokenBucket(0, 0, now);
  const double per_ms = static_cast<double>(per_minute) / 60000.0;
  const double capacity = std::max(at_least, static_cast<double>(per_minute) - per_ms * kLimiterHeadroomMs);
  return TokenBucket(capacity, per_ms, now);
}

// Requests/min and tokens/min, shared by every thread of one embedder. A
// request waits until both buckets hold what it needs, then takes it.
class RateLimiter {
 public:
  RateLimiter(Clock& clock, int64_t requests_per_minute, int64_t tokens_per_minute,
              int64_t max_tokens_per_input)
      : clock_(clock),
        requests_(MakeBucket(requests_per_minute, 1, clock.NowMs())),
        tokens_(MakeBucket(tokens_per_minute, static_cast<double>(max_tokens_per_input), clock.NowMs())) {}

  // Tokens one request may carry so that it fits in the bucket at all.
  int64_t MaxTokensPerRequest(int64_t wanted) const {
    if (tokens_.unlimited()) return wanted;
    return std::min<int64_t>(wanted, static_cast<int64_t>(tokens_.capacity()));
  }

  // Blocks until the request may go; returns the milliseconds waited, or -1
  // when `abort_if` ended the wait (a deadline: the budget may be a minute away).
  int64_t Acquire(int64_t tokens, const std::function<bool()>& abort_if) {
    int64_t waited = 0;
    for (;;) {
      int64_t wait = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        const TimeMs now = clock_.NowMs();
        requests_.Refill(now);
        tokens_.Refill(now);
        wait = std::max(requests_.WaitMs(1), tokens_.WaitMs(static_cast<double>(tokens)));
        if (wait == 0) {
          requests_.Take(1);
          tokens_.Take(static_cast<double>(tokens));
          return waited;
        }
      }
      if (!SleepUnlessAborted(clock_, wait, abort_if)) return -1;
      waited += wait;
    }
  }

  // The server knows better when it has less left (another process using the
  // same key): never hold more than it says.
  void Observe(const HttpResponse& r) {
    const std::optional<double> req = HeaderNumber(r, "x-ratelimit-remaining-requests");
    const std::optional<double> tok = HeaderNumber(r, "x-ratelimit-remaining-tokens");
    if (!req && !tok) return;
    std::lock_guard<std::mutex> lock(mu_);
    const TimeMs now = clock_.NowMs();
    requests_.Refill(now);
    tokens_.Refill(now);
    if (req) requests_.Lower(*req);
    if (tok) tokens_.Lower(*tok);
  }

 private:
  Clock& clock_;
  std::mutex mu_;
  TokenBucket requests_;
  TokenBucket tokens_;
};

struct AtomicStats {
  std::atomic<int64_t> requests{0}, attempts{0}, throttled{0}, server_errors{0}, limiter_waits{0},
      limiter_wait_ms{0}, tokens{0};
};

struct ApiError {
  std::string message, type, code;
};

ApiError ParseApiError(const std::string& body) {
  ApiError e;
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) return e;
  const json& err = j["error"];
  auto field = [&](const char* name) -> std::string {
    if (!err.contains(name)) return "";
    const json& v = err[name];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return v.dump();
    return "";
  };
  e.message = field("message");
  e.type = field("type");
  e.code = field("code");
  return e;
}

// One request's attempts: each one waits for the rate limiter (a retry
// spends budget too: OpenAI counts failed requests against the limits) and
// is counted. A 429 for an exhausted quota becomes 402 so that HttpRetrier
// stops: only billing fixes it.
class MeteredHttp final : public HttpClient {
 public:
  MeteredHttp(HttpClient& inner, RateLimiter& limiter, AtomicStats& stats, int64_t tokens)
      : inner_(inner), limiter_(limiter), stats_(stats), tokens_(tokens) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    const int64_t waited = limiter_.Acquire(tokens_, request.abort_if);
    if (waited < 0) {
      return Status::Cancelled("OpenAI embeddings: wait for the rate limit abandoned (cancelled or past its deadline)");
    }
    if (waited > 0) {
      ++stats_.limiter_waits;
      stats_.limiter_wait_ms += waited;
    }
    ++stats_.attempts;
    Result<HttpResponse> r = inner_.Send(request);
    if (!r.ok()) {
      ++stats_.server_errors;
      return r;
    }
    limiter_.Observe(*r);
    if (r->status >= 500) ++stats_.server_errors;
    if (r->status == 429) {
      ++stats_.throttled;
      if (ParseApiError(r->body).code == "insufficient_quota") r->status = 402;
    }
    return r;
  }

 private:
  HttpClient& inner_;
  RateLimiter& limiter_;
  AtomicStats& stats_;
  int64_t tokens_;
};

struct Batch {
  size_t begin = 0, end = 0;
  int64_t tokens = 0;
};

// Greedy in input order: each request takes texts until the next would break
// a limit. For contiguous requests this is the fewest possible.
std::vector<Batch> Pack(const std::vector<int64_t>& counts, size_t max_inputs, int64_t max_tokens) {
  std::vector<Batch> out;
  Batch cur;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (cur.end > cur.begin && (cur.end - cur.begin == max_inputs || cur.tokens + counts[i] > max_tokens)) {
      out.push_back(cur);
      cur = Batch{i, i, 0};
    }
    cur.end = i + 1;
    cur.tokens += counts[i];
  }
  if (cur.end > cur.begin) out.push_back(cur);
  return out;
}

// Runs fn(0..n-1) on up to `threads` threads (the caller's included).
template <typename Fn>
void ParallelFor(size_t n, int threads, Fn fn) {
  const size_t workers = std::max<size_t>(1, std::min<size_t>(threads, n));
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(run);
  run();
}

class OpenAiEmbedderImpl final : public OpenAiEmbedder {
 public:
  OpenAiEmbedderImpl(HttpClient& http, Clock& clock, OpenAiEmbedderOptions o, int dimension, double price,
                     BpeTokenizerPtr tokenizer, std::string encoding)
      : http_(http),
        clock_(clock),
        o_(std::move(o)),
        dimension_(dimension),
        price_(price),
        tokenizer_(std::move(tokenizer)),
        encoding_(std::move(encoding)),
        limiter_(clock, o_.requests_per_minute, o_.tokens_per_minute, o_.max_tokens_per_input),
        max_request_tokens_(limiter_.MaxTokensPerRequest(o_.max_tokens_per_request)) {}

  std::string Model() const override { return o_.model; }
  int Dimension() const override { return dimension_; }

  OpenAiEmbedderStats Stats() const override {
    OpenAiEmbedderStats s;
    s.requests = stats_.requests;
    s.attempts = stats_.attempts;
    s.throttled = stats_.throttled;
    s.server_errors = stats_.server_errors;
    s.limiter_waits = stats_.limiter_waits;
    s.limiter_wait_ms = stats_.limiter_wait_ms;
    s.tokens = stats_.tokens;
    return s;
  }

  Result<EmbeddingBatch> Embed(const std::vector<std::string>& texts) override { return Embed(texts, nullptr); }

  Result<EmbeddingBatch> Embed(const std::vector<std::string>& texts, const std::atomic<bool>* cancel) override {
    EmbeddingBatch out;
    if (texts.empty()) return out;
    const size_t n = texts.size();
    // Invalid UTF-8 is sent repaired (U+FFFD per bad sequence), which is
    // also what the tokenizer counts and what node's client would send.
    std::vector<std::string> repaired(n);
    std::vector<const std::string*> inputs(n);
    for (size_t i = 0; i < n; ++i) {
      if (texts[i].empty()) {
        return Status::InvalidInput(
            fmt::format("embedding input {} of {} is empty (OpenAI rejects empty inputs)", i, n));
      }
      inputs[i] = &texts[i];
      if (!IsValidUtf8(texts[i])) {
        repaired[i] = RepairUtf8(texts[i]);
        inputs[i] = &repaired[i];
      }
    }
    std::vector<int64_t> counts(n);
    const int count_threads =
        static_cast<int>(std::min<size_t>(o_.concurrency, n / kMinTextsPerCountThread + 1));
    ParallelFor(n, count_threads,
                [&](size_t i) { counts[i] = static_cast<int64_t>(tokenizer_->Count(*inputs[i])); });
    for (size_t i = 0; i < n; ++i) {
      if (counts[i] > o_.max_tokens_per_input) {
        return Status::InvalidInput(
            fmt::format("embedding input {} of {} has {} tokens ({}); {} takes at most {} per input (split "
                        "it: the chunker's "
                        "max_tokens bounds chunks)",
                        i, n, counts[i], encoding_, o_.model, o_.max_tokens_per_input));
      }
    }

    const std::vector<Batch> batches =
        Pack(counts, static_cast<size_t>(o_.max_inputs_per_request), max_request_tokens_);
    out.vectors.resize(n);
    std::vector<int64_t> billed(batches.size(), 0);
    std::vector<Status> errors(batches.size());
    std::atomic<bool> failed{false};
    auto cancelled = [cancel] { return cancel != nullptr && cancel->load(); };
    ParallelFor(batches.size(), o_.concurrency, [&](size_t b) {
      if (failed) return;  // a batch failed: don't spend more on a call that fails anyway
      Status s;
      try {
        s = cancelled() ? Status::Cancelled("embedding cancelled")
                        : SendBatch(inputs, batches[b], out.vectors, billed[b], cancel);
      } catch (const std::exception& e) {  // a bug must not escape a worker thread
        s = Status::Internal(std::string("OpenAI embeddings: ") + e.what());
      }
      if (!s.ok()) {
        errors[b] = std::move(s);
        failed = true;
      }
    });
    // The earliest failed batch, so the error does not depend on thread timing.
    for (const Status& s : errors) {
      if (!s.ok()) return s;
    }
    for (int64_t t : billed) out.tokens += t;
    out.requests = static_cast<int64_t>(batches.size());
    out.cost_usd = static_cast<double>(out.tokens) * price_ / 1e6;
    return out;
  }

 private:
  HttpRequest BuildRequest(const std::vector<const std::string*>& inputs, const Batch& b) const {
    // The official client's field order: the caller's fields, then encoding_format.
    nlohmann::ordered_json body;
    body["model"] = o_.model;
    nlohmann::ordered_json input = nlohmann::ordered_json::array();
    for (size_t i = b.begin; i < b.end; ++i) input.push_back(*inputs[i]);
    body["input"] = std::move(input);
    if (o_.dimensions > 0 && TakesDimensions(o_.model)) body["dimensions"] = o_.dimensions;
    body["encoding_format"] = "base64";  // a quarter of the bytes of "float", and exact
    HttpRequest req;
    req.method = "POST";
    req.url = o_.base_url + "/embeddings";
    req.headers = {{"Authorization", "Bearer " + o_.api_key},
                   {"Content-Type", "application/json"},
                   {"Accept", "application/json"},
                   {"User-Agent", std::string("docpipe/") + DOCPIPE_VERSION}};
    if (!o_.organization.empty()) req.headers.emplace_back("OpenAI-Organization", o_.organization);
    if (!o_.project.empty()) req.headers.emplace_back("OpenAI-Project", o_.project);
    req.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    req.timeout_ms = o_.timeout_ms;
    return req;
  }

  Status SendBatch(const std::vector<const std::string*>& inputs, const Batch& b,
                   std::vector<std::vector<float>>& vectors, int64_t& billed, const std::atomic<bool>* cancel) {
    HttpRequest req = BuildRequest(inputs, b);
    if (cancel != nullptr) req.abort_if = [cancel] { return cancel->load(); };
    MeteredHttp metered(http_, limiter_, stats_, b.tokens);
    const double needed_tokens = static_cast<double>(b.tokens);
    HttpRetrier retrier(metered, clock_, o_.retry, [needed_tokens](const HttpResponse& r) -> int64_t {
      if (r.status != 429) return -1;
      return std::max(ResetWaitMs(r, "requests", 1), ResetWaitMs(r, "tokens", needed_tokens));
    });
    int attempts = 0;
    Result<HttpResponse> r = retrier.Send(req, &attempts);
    if (!r.ok()) return r.status().Annotate(fmt::format("OpenAI embeddings ({} attempts)", attempts));
    if (r->status != 200) return StatusFromAnswer(*r, attempts);
    DOCPIPE_RETURN_IF_ERROR(ParseAnswer(r->body, b, vectors, billed));
    ++stats_.requests;
    stats_.tokens += billed;
    return Status::Ok();
  }

  std::string Redact(std::string s) const {
    if (s.size() > 500) s = s.substr(0, 500) + "...";
    for (size_t at = s.find(o_.api_key); !o_.api_key.empty() && at != std::string::npos;
         at = s.find(o_.api_key)) {
      s.replace(at, o_.api_key.size(), "[redacted]");
    }
    return s;
  }

  Status StatusFromAnswer(const HttpResponse& r, int attempts) const {
    const ApiError e = ParseApiError(r.body);
    const std::string code = e.code.empty() ? "" : ", " + e.code;
    // 401 messages quote part of the key: none of the message is kept.
    if (r.status == 401 || r.status == 403) {
      return Status::InvalidInput(fmt::format("OpenAI rejected the API key (HTTP {}{})", r.status, code));
    }
    const std::string detail = Redact(e.message.empty() ? r.body : e.message);
    if (r.status == 402) {
      return Status::InvalidInput(fmt::format("OpenAI: quota exhausted (HTTP 429{}): {}", code, detail));
    }
    if (r.status == 429) {
      return Status::Throttled(fmt::format("OpenAI still rate-limiting after {} attempts (HTTP 429{}): {}",
                                           attempts, code, detail));
    }
    if (r.status == 404) {
      return Status::InvalidInput(fmt::format("OpenAI: model {} not found or not accessible (HTTP 404{}): {}",
                                              o_.model, code, detail));
    }
    if (IsRetryableHttpStatus(r.status) || r.status < 400) {
      return Status::Unavailable(fmt::format("OpenAI embeddings answered HTTP {} after {} attempts{}: {}",
                                             r.status, attempts, code, detail));
    }
    return Status::InvalidInput(fmt::format("OpenAI rejected the embeddings request for {} (HTTP {}{}): {}",
                                            o_.model, r.status, code, detail));
  }

  std::string ExpectedDimensionNote() const {
    return o_.dimensions > 0 ? fmt::format("dimensions = {}", o_.dimensions) : "the model's default";
  }

  Status ParseAnswer(const std::string& body, const Batch& b, std::vector<std::vector<float>>& vectors,
                     int64_t& billed) const {
    const size_t count = b.end - b.begin;
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::Unavailable(
          fmt::format("OpenAI embeddings: malformed JSON answer ({} bytes)", body.size()));
    }
    if (!j.contains("data") || !j["data"].is_array()) {
      return Status::Unavailable("OpenAI embeddings: answer without a data array");
    }
    const json& data = j["data"];
    if (data.size() != count) {
      return Status::Unavailable(
          fmt::format("OpenAI embeddings: {} embeddings returned for {} inputs", data.size(), count));
    }
    std::vector<bool> seen(count, false);
    for (const json& item : data) {
      if (!item.is_object() || !item.contains("index") || !item["index"].is_number_unsigned() ||
          !item.contains("embedding")) {
        return Status::Unavailable("OpenAI embeddings: an embedding without index or vector");
      }
      const size_t index = item["index"].get<size_t>();
      if (index >= count || seen[index]) {
        return Status::Unavailable(
            fmt::format("OpenAI embeddings: bad or repeated index {} ({} inputs)", index, count));
      }
      seen[index] = true;
      Result<std::vector<float>> v = DecodeEmbedding(item["embedding"]);
      if (!v.ok()) return v.status();
      DOCPIPE_RETURN_IF_ERROR(Normalise(*v, b.begin + index));
      vectors[b.begin + index] = std::move(*v);
    }
    billed = b.tokens;  // our exact count when the answer has no usage
    if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("total_tokens") &&
        j["usage"]["total_tokens"].is_number_integer()) {
      billed = j["usage"]["total_tokens"].get<int64_t>();
    }
    return Status::Ok();
  }

  Status DimensionMismatch(size_t got) const {
    return Status::InvalidInput(
        fmt::format("OpenAI returned {}-dimensional vectors for model {}; expected {} ({})", got, o_.model,
                    dimension_, ExpectedDimensionNote()));
  }

  // base64 float32 little-endian (what we ask for), or a JSON array of
  // numbers (compatible servers that ignore encoding_format).
  Result<std::vector<float>> DecodeEmbedding(const json& e) const {
    if (e.is_array()) {
      if (e.size() != static_cast<size_t>(dimension_)) return DimensionMismatch(e.size());
      std::vector<float> v;
      v.reserve(e.size());
      for (const json& x : e) {
        if (!x.is_number())
          return Status::Unavailable("OpenAI embeddings: a vector component is not a number");
        v.push_back(x.get<float>());
      }
      return v;
    }
    if (!e.is_string())
      return Status::Unavailable("OpenAI embeddings: embedding is neither base64 nor an array");
    const std::string& s = e.get_ref<const std::string&>();
    if (s.size() % 4 == 0) {
      const size_t pad = (s.size() >= 1 && s.back() == '=') + (s.size() >= 2 && s[s.size() - 2] == '=');
      const size_t bytes = s.size() / 4 * 3 - pad;
      if (bytes % 4 == 0 && bytes / 4 != static_cast<size_t>(dimension_)) return DimensionMismatch(bytes / 4);
    }
    Result<std::vector<float>> v = DecodeVectorBase64(s, dimension_);
    if (!v.ok()) return Status::Unavailable("OpenAI embeddings: " + v.status().message());
    return v;
  }

  static Status Normalise(std::vector<float>& v, size_t input) {
    double sq = 0;
    for (float x : v) sq += static_cast<double>(x) * x;
    const double norm = std::sqrt(sq);
    if (!std::isfinite(norm)) {
      return Status::Unavailable(fmt::format("OpenAI embeddings: non-finite vector for input {}", input));
    }
    if (norm == 0)
      return Status::Unavailable(fmt::format("OpenAI embeddings: zero vector for input {}", input));
    if (std::abs(norm - 1.0) <= kNormTolerance) return Status::Ok();
    for (float& x : v) x = static_cast<float>(x / norm);
    return Status::Ok();
  }

  HttpClient& http_;
  Clock& clock_;
  const OpenAiEmbedderOptions o_;
  const int dimension_;
  const double price_;
  const BpeTokenizerPtr tokenizer_;
  const std::string encoding_;
  RateLimiter limiter_;
  const int64_t max_request_tokens_;
  AtomicStats stats_;
};

Status Validate(OpenAiEmbedderOptions& o, int& dimension) {
  o.api_key = std::string(Trim(o.api_key));
  if (o.api_key.empty()) return Status::InvalidInput("OpenAI API key is empty");
  if (HasControl(o.api_key, true))
    return Status::InvalidInput("OpenAI API key contains spaces or control characters");
  if (HasControl(o.organization, false) || HasControl(o.project, false)) {
    return Status::InvalidInput("OpenAI organization/project contains control characters");
  }
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.base_url.rfind("https://", 0) != 0 && o.base_url.rfind("http://", 0) != 0) {
    return Status::InvalidInput("OpenAI base_url must start with https:// or http://: " + o.base_url);
  }
  if (o.model.empty()) return Status::InvalidInput("OpenAI embedding model is empty");
  Result<int> dims = OpenAiEmbeddingDimension(o.model, o.dimensions);
  if (!dims.ok()) return dims.status();
  dimension = *dims;
  if (o.max_inputs_per_request < 1)
    return Status::InvalidInput("OpenAI max_inputs_per_request must be at least 1");
  if (o.max_tokens_per_input < 1)
    return Status::InvalidInput("OpenAI max_tokens_per_input must be at least 1");
  if (o.max_tokens_per_request < o.max_tokens_per_input) {
    return Status::InvalidInput(
        fmt::format("OpenAI max_tokens_per_request {} is below max_tokens_per_input {}",
                    o.max_tokens_per_request, o.max_tokens_per_input));
  }
  if (o.requests_per_minute < 0 || o.tokens_per_minute < 0) {
    return Status::InvalidInput(
        "OpenAI requests_per_minute/tokens_per_minute must be >= 0 (0 = no client-side limit)");
  }
  if (o.tokens_per_minute > 0 && o.tokens_per_minute < o.max_tokens_per_input) {
    return Status::InvalidInput(fmt::format("OpenAI tokens_per_minute {} is below max_tokens_per_input {}",
                                            o.tokens_per_minute, o.max_tokens_per_input));
  }
  if (o.concurrency < 1 || o.concurrency > kMaxConcurrency) {
    return Status::InvalidInput(
        fmt::format("OpenAI concurrency {} outside 1..{}", o.concurrency, kMaxConcurrency));
  }
  if (o.timeout_ms <= 0) return Status::InvalidInput("OpenAI timeout_ms must be positive");
  if (o.retry.max_attempts < 1) return Status::InvalidInput("OpenAI retry.max_attempts must be at least 1");
  return Status::Ok();
}

}  // namespace

Result<int> OpenAiEmbeddingDimension(const std::string& model, int dimensions) {
  if (dimensions < 0)
    return Status::InvalidInput(fmt::format("OpenAI dimensions {} is negative", dimensions));
  const ModelInfo* known = FindModel(model);
  if (known == nullptr) {
    if (dimensions == 0) {
      return Status::InvalidInput(
          fmt::format("OpenAI embedding model {} is not one docpipe knows (text-embedding-3-small, "
                      "text-embedding-3-large, "
                      "text-embedding-ada-002): set its dimensions explicitly",
                      model));
    }
    return dimensions;
  }
  if (!known->takes_dimensions) {
    if (dimensions != 0 && dimensions != known->default_dimensions) {
      return Status::InvalidInput(
          fmt::format("{} has {} dimensions and cannot be shortened (dimensions = {})", model,
                      known->default_dimensions, dimensions));
    }
    return known->default_dimensions;
  }
  if (dimensions > known->default_dimensions) {
    return Status::InvalidInput(fmt::format("{} has at most {} dimensions (dimensions = {})", model,
                                            known->default_dimensions, dimensions));
  }
  return dimensions > 0 ? dimensions : known->default_dimensions;
}

int64_t ParseOpenAiDurationMs(std::string_view s) {
  if (s.empty()) return -1;
  double total_ms = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) return -1;
    const std::string number(s.substr(start, i - start));
    char* end = nullptr;
    const double v = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return -1;
    const size_t unit_start = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    const std::string_view unit = s.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
      scale = 1e-3;
    } else if (unit == "ns") {
      scale = 1e-6;
    } else {
      return -1;
    }
    total_ms += v * scale;
  }
  return static_cast<int64_t>(std::ceil(total_ms - 1e-9));
}

double OpenAiPricePerMillionTokens(const std::string& model) {
  const ModelInfo* m = FindModel(model);
  return m == nullptr ? 0.0 : m->usd_per_million_tokens;
}

Result<EmbedderPtr> NewOpenAiEmbedder(HttpClient& http, Clock& clock, OpenAiEmbedderOptions options) {
  int dimension = 0;
  DOCPIPE_RETURN_IF_ERROR(Validate(options, dimension));
  const std::string encoding = EncodingForModel(options.model);
  Result<BpeTokenizerPtr> tokenizer = OpenBpeTokenizer(encoding);
  if (!tokenizer.ok()) return tokenizer.status().Annotate("OpenAI embedder tokenizer " + encoding);
  const double price = OpenAiPricePerMillionTokens(options.model);
  return EmbedderPtr(std::make_unique<OpenAiEmbedderImpl>(http, clock, std::move(options), dimension, price,
                                                          std::move(*tokenizer), encoding));
}

}  // namespace docpipe
