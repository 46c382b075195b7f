#include "unit/embed/fake_openai_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "embed/embedder.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

struct ModelSpec {
  int dimensions = 0;
  bool takes_dimensions = false;
};

ModelSpec OpenAiModel(const std::string& model) {
  if (model == "text-embedding-3-small") return {1536, true};
  if (model == "text-embedding-3-large") return {3072, true};
  if (model == "text-embedding-ada-002") return {1536, false};
  return {};
}

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string ErrorBody(const std::string& message, const std::string& type, const json& code,
                      const json& param = nullptr) {
  return json{{"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}}.dump();
}

// "sk-tes*****ghij": how OpenAI quotes a wrong key.
std::string MaskKey(const std::string& key) {
  if (key.size() < 10) return "***";
  return key.substr(0, 6) + std::string(key.size() - 10, '*') + key.substr(key.size() - 4);
}

}  // namespace

struct FakeOpenAiServer::Answer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

std::string FormatGoDuration(int64_t ms) {
  if (ms < 1000) return fmt::format("{}ms", std::max<int64_t>(0, ms));
  const int64_t h = ms / 3'600'000;
  const int64_t m = ms % 3'600'000 / 60'000;
  const int64_t rest_ms = ms % 60'000;
  std::string secs = fmt::format("{}.{:03}", rest_ms / 1000, rest_ms % 1000);
  while (secs.back() == '0') secs.pop_back();
  if (secs.back() == '.') secs.pop_back();
  if (h > 0) return fmt::format("{}h{}m{}s", h, m, secs);
  if (m > 0) return fmt::format("{}m{}s", m, secs);
  return secs + "s";
}

FakeOpenAiServer::FakeOpenAiServer(Clock& clock, FakeOpenAiOptions options)
    : clock_(clock), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  tokenizer_ = *OpenBpeTokenizer("cl100k_base");
  req_level_ = static_cast<double>(options_.requests_per_minute);
  tok_level_ = static_cast<double>(options_.tokens_per_minute);
  last_refill_ = clock_.NowMs();
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    const int now = ++in_flight_;
    for (int seen = max_in_flight_; now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
    }
    std::map<std::string, std::string> headers;
    for (const auto& [k, v] : req.headers) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      // httplib's own pseudo-headers, not sent by the client.
      if (name == "remote_addr" || name == "remote_port" || name == "local_addr" || name == "local_port")
        continue;
      headers[name] = v;
    }
    Answer a = Handle(req.method, req.path, headers, req.body);
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(a.body, "application/json");
    {
      std::lock_guard lock(mu_);
      requests_.push_back({req.method, req.path, options_.record_bodies ? req.body : "", headers, a.status});
    }
    --in_flight_;
  };
  server_->set_tcp_nodelay(true);  // no 40 ms Nagle/delayed-ACK stalls between header and body writes
  server_->Post(".*", handler);
  server_->Get(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() before the listen loop runs would be ignored and the join would hang.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeOpenAiServer::~FakeOpenAiServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeOpenAiServer::base_url() const { return fmt::format("http://127.0.0.1:{}/v1", port_); }

void FakeOpenAiServer::Script(std::vector<CannedReply> replies) {
  std::lock_guard lock(mu_);
  script_ = std::move(replies);
  script_pos_ = 0;
}

void FakeOpenAiServer::Mutate(std::function<void(json&)> fn) {
  std::lock_guard lock(mu_);
  mutate_ = std::move(fn);
}

std::vector<RecordedRequest> FakeOpenAiServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<std::string> FakeOpenAiServer::violations() const {
  std::lock_guard lock(mu_);
  return violations_;
}

int FakeOpenAiServer::ModelDimensions(const std::string& model) const {
  if (int d = OpenAiModel(model).dimensions; d > 0) return d;
  auto it = options_.extra_models.find(model);
  return it == options_.extra_models.end() ? 0 : it->second;
}

std::vector<float> FakeOpenAiServer::Vector(const std::string& model, const std::string& text,
                                            int dimensions) {
  const int full = std::max(dimensions, OpenAiModel(model).dimensions);
  uint64_t seed = 0xcbf29ce484222325ULL;
  for (unsigned char c : model + '\0' + text) seed = (seed ^ c) * 0x100000001b3ULL;
  std::vector<double> v(static_cast<size_t>(full));
  double sq = 0;
  for (double& x : v) {
    // Sum of two uniforms: a bell-ish shape, like real embedding components.
    x = static_cast<double>(SplitMix(seed) >> 11) / 9007199254740992.0 +
        static_cast<double>(SplitMix(seed) >> 11) / 9007199254740992.0 - 1.0;
    sq += x * x;
  }
  // Normalise the full vector, then cut and normalise again (OpenAI's
  // shortened text-embedding-3 vectors are unit length too).
  double cut_sq = 0;
  for (int i = 0; i < dimensions; ++i) cut_sq += v[i] * v[i] / sq;
  const double scale = 1.0 / std::sqrt(sq) / std::sqrt(cut_sq);
  std::vector<float> out(static_cast<size_t>(dimensions));
  for (int i = 0; i < dimensions; ++i) out[i] = static_cast<float>(v[i] * scale);
  return out;
}

std::vector<std::pair<std::string, std::string>> FakeOpenAiServer::RateHeaders() {
  // Called with mu_ held, after a refill.
  std::vector<std::pair<std::string, std::string>> h;
  auto add = [&](const char* kind, int64_t limit, double level) {
    if (limit <= 0) return;
    const double per_ms = static_cast<double>(limit) / 60000.0;
    const int64_t reset = static_cast<int64_t>(std::ceil((static_cast<double>(limit) - level) / per_ms));
    h.emplace_back(fmt::format("x-ratelimit-limit-{}", kind), std::to_string(limit));
    h.emplace_back(fmt::format("x-ratelimit-remaining-{}", kind),
                   std::to_string(static_cast<int64_t>(std::floor(std::max(0.0, level)))));
    h.emplace_back(fmt::format("x-ratelimit-reset-{}", kind), FormatGoDuration(reset));
  };
  add("requests", options_.requests_per_minute, req_level_);
  add("tokens", options_.tokens_per_minute, tok_level_);
  return h;
}

FakeOpenAiServer::Answer FakeOpenAiServer::RateLimit(int64_t tokens, const std::string& model) {
  std::lock_guard lock(mu_);
  const TimeMs now = clock_.NowMs();
  const double elapsed = static_cast<double>(std::max<TimeMs>(0, now - last_refill_));
  last_refill_ = std::max(last_refill_, now);
  const double rpm = static_cast<double>(options_.requests_per_minute);
  const double tpm = static_cast<double>(options_.tokens_per_minute);
  req_level_ = std::min(rpm, req_level_ + elapsed * rpm / 60000.0);
  tok_level_ = std::min(tpm, tok_level_ + elapsed * tpm / 60000.0);
  const bool req_short = rpm > 0 && req_level_ < 1;
  const bool tok_short = tpm > 0 && tok_level_ < static_cast<double>(tokens);
  Answer a;
  if (!req_short && !tok_short) {
    if (rpm > 0) req_level_ -= 1;
    if (tpm > 0) tok_level_ -= static_cast<double>(tokens);
    a.headers = RateHeaders();
    return a;
  }
  ++throttled_;
  a.status = 429;
  a.headers = RateHeaders();
  const double wait_ms = tok_short ? (static_cast<double>(tokens) - tok_level_) * 60000.0 / tpm
                                   : (1 - req_level_) * 60000.0 / rpm;
  if (options_.retry_after_on_429) {
    a.headers.emplace_back("retry-after", std::to_string(static_cast<int64_t>(std::ceil(wait_ms / 1000))));
  }
  const std::string what =
      tok_short
          ? fmt::format("tokens per min (TPM): Limit {}, Used {}, Requested {}", options_.tokens_per_minute,
                        options_.tokens_per_minute - static_cast<int64_t>(tok_level_), tokens)
          : fmt::format("requests per min (RPM): Limit {}, Used {}, Requested 1",
                        options_.requests_per_minute,
                        options_.requests_per_minute - static_cast<int64_t>(req_level_));
  a.body = ErrorBody(
      fmt::format("Rate limit reached for {} in organization org-fake on {}. Please try again in {}. "
                  "Visit https://platform.openai.com/account/rate-limits to learn more.",
                  model, what, FormatGoDuration(static_cast<int64_t>(std::ceil(wait_ms)))),
      tok_short ? "tokens" : "requests", "rate_limit_exceeded");
  return a;
}

FakeOpenAiServer::Answer FakeOpenAiServer::Handle(const std::string& method, const std::string& path,
                                                  const std::map<std::string, std::string>& headers,
                                                  const std::string& body) {
  CannedReply canned;
  bool have_canned = false;
  {
    std::lock_guard lock(mu_);
    if (script_pos_ < script_.size()) {
      canned = script_[script_pos_++];
      have_canned = true;
    }
  }
  if (have_canned) {
    if (canned.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(canned.delay_ms));
    if (!canned.then_process) return Answer{canned.status, canned.headers, canned.body};
  }
  auto header = [&](const char* name) -> std::string {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  };
  auto bad = [](const std::string& message, const json& code = nullptr, const json& param = nullptr) {
    return Answer{400, {}, ErrorBody(message, "invalid_request_error", code, param)};
  };
  auto violation = [&](const std::string& message, const json& code = nullptr) {
    std::lock_guard lock(mu_);
    violations_.push_back(message);
    return bad(message, code);
  };

  if (method != "POST" || path != "/v1/embeddings") {
    return Answer{
        404,
        {},
        ErrorBody(fmt::format("Invalid URL ({} {})", method, path), "invalid_request_error", nullptr)};
  }
  const std::string auth = header("authorization");
  if (auth.rfind("Bearer ", 0) != 0) {
    return Answer{
        401,
        {},
        ErrorBody("You didn't provide an API key. You need to provide your API key in an Authorization "
                  "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                  "invalid_request_error", nullptr)};
  }
  if (auth.substr(7) != options_.api_key) {
    return Answer{401,
                  {},
                  ErrorBody(fmt::format("Incorrect API key provided: {}. You can find your API key at "
                                        "https://platform.openai.com/account/api-keys.",
                                        MaskKey(auth.substr(7))),
                            "invalid_request_error", "invalid_api_key")};
  }
  if (header("content-type").rfind("application/json", 0) != 0) {
    return bad("Invalid Content-Type header (" + header("content-type") + "), expected application/json.");
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid "
        "JSON.)");
  }
  if (!j.contains("model") || !j["model"].is_string()) return bad("you must provide a model parameter");
  const std::string model = j["model"];
  const int model_dims = ModelDimensions(model);
  if (model_dims == 0) {
    return Answer{
        404,
        {},
        ErrorBody(fmt::format("The model `{}` does not exist or you do not have access to it.", model),
                  "invalid_request_error", "model_not_found")};
  }
  std::vector<std::string> inputs;
  if (!j.contains("input"))
    return bad("Missing required parameter: 'input'.", "missing_required_parameter", "input");
  if (j["input"].is_string()) {
    inputs.push_back(j["input"]);
  } else if (j["input"].is_array()) {
    for (const json& x : j["input"]) {
      if (!x.is_string())
        return bad("'$.input' is invalid. Please check the API reference.", nullptr, "input");
      inputs.push_back(x);
    }
  } else {
    return bad("'$.input' is invalid. Please check the API reference.", nullptr, "input");
  }
  if (inputs.empty()) return violation("'$.input' is invalid: an empty array");
  if (static_cast<int>(inputs.size()) > options_.max_inputs) {
    return violation(
        fmt::format("Invalid 'input': array too long. Expected an array with maximum length {}, but got "
                    "an array with length {} instead.",
                    options_.max_inputs, inputs.size()),
        "array_above_max_length");
  }
  for (const std::string& s : inputs) {
    if (s.empty()) return violation("'$.input' is invalid: an input is an empty string");
  }
  std::string format = "float";
  if (j.contains("encoding_format")) {
    if (!j["encoding_format"].is_string() ||
        (j["encoding_format"] != "float" && j["encoding_format"] != "base64")) {
      return bad("Invalid value for 'encoding_format': expected 'float' or 'base64'.", nullptr,
                 "encoding_format");
    }
    format = j["encoding_format"];
  }
  int dims = model_dims;
  if (j.contains("dimensions") && !j["dimensions"].is_null()) {
    if (!OpenAiModel(model).takes_dimensions)
      return bad("This model does not support specifying dimensions.");
    if (!j["dimensions"].is_number_integer() || j["dimensions"].get<int64_t>() < 1 ||
        j["dimensions"].get<int64_t>() > model_dims) {
      return bad(fmt::format("Invalid value for 'dimensions' = {}. Must be between 1 and {}.",
                             j["dimensions"].dump(), model_dims),
                 nullptr, "dimensions");
    }
    dims = j["dimensions"].get<int>();
  }
  int64_t total = 0;
  for (const std::string& s : inputs) {
    const int64_t n = static_cast<int64_t>(tokenizer_->Count(s));
    if (n > options_.max_tokens_per_input) {
      return violation(
          fmt::format("This model's maximum context length is {} tokens, however you requested {} tokens "
                      "({} in your prompt; 0 for the completion). Please reduce your prompt; or "
                      "completion length.",
                      options_.max_tokens_per_input, n, n));
    }
    total += n;
  }
  if (total > options_.max_tokens_per_request) {
    std::lock_guard lock(mu_);
    violations_.push_back(fmt::format("Requested {} tokens, max {} tokens per request", total,
                                      options_.max_tokens_per_request));
    return Answer{400, {}, ErrorBody(violations_.back(), "max_tokens_per_request", "max_tokens_per_request")};
  }
  Answer a = RateLimit(total, model);
  if (a.status != 200) return a;

  json data = json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<float> v = Vector(model, inputs[i], dims);
    json embedding = format == "base64" ? json(EncodeVectorBase64(v)) : json(v);
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
  }
  json out = {{"object", "list"},
              {"data", std::move(data)},
              {"model", model},
              {"usage", {{"prompt_tokens", total}, {"total_tokens", total}}}};
  std::function<void(json&)> mutate;
  {
    std::lock_guard lock(mu_);
    mutate = mutate_;
  }
  if (mutate) mutate(out);
  tokens_served_ += total;
  a.headers.emplace_back("openai-model", model);
  a.headers.emplace_back("openai-processing-ms", "3");
  a.headers.emplace_back("x-request-id", fmt::format("req_fake_{}", ++answered_));
  a.body = out.dump();
  return a;
}

}  // namespace docpipe::testing
