#include "lambda/lambda_runtime.h"

#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <random>

#include "common/backoff.h"
#include "common/strings.h"

namespace docpipe {
namespace {

constexpr const char* kApiVersion = "2018-06-01";
constexpr TimeMs kMinPlausibleEpochMs = 1'000'000'000'000;  // 2001-09-09

// Adds the invocation's ids to every line, so one invocation's lines can be
// found together in CloudWatch.
class InvocationLogger final : public Logger {
 public:
  InvocationLogger(Logger& base, const LambdaInvocation& inv) : base_(base) {
    fields_["aws_request_id"] = inv.request_id;
    if (!inv.trace_id.empty()) fields_["trace_id"] = inv.trace_id;
  }
  void Log(LogLevel level, const std::string& event, nlohmann::json fields) override {
    if (!fields.is_object()) fields = nlohmann::json{{"value", std::move(fields)}};
    for (const auto& [k, v] : fields_.items()) {
      if (!fields.contains(k)) fields[k] = v;
    }
    base_.Log(level, event, std::move(fields));
  }

 private:
  Logger& base_;
  nlohmann::json fields_ = nlohmann::json::object();
};

// An error body's text, never throwing on bytes that are not UTF-8.
std::string ErrorBody(const std::string& type, const std::string& message) {
  return nlohmann::json{{"errorMessage", message}, {"errorType", type}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Runs the handler; an exception escaping it becomes an error outcome instead
// of ending the process (which Lambda would report as a crash of the sandbox).
LambdaOutcome Invoke(const LambdaHandler& handler, const LambdaInvocation& inv, Logger& log) {
  try {
    return handler(inv, log);
  } catch (const std::exception& e) {
    return LambdaOutcome::Error("Runtime.HandlerException", e.what());
  }
}

}  // namespace

std::optional<TimeMs> PlausibleDeadline(const std::string* header, TimeMs now) {
  if (header == nullptr || header->empty()) return std::nullopt;
  TimeMs value = 0;
  for (char c : *header) {
    if (c < '0' || c > '9' || value > (INT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < kMinPlausibleEpochMs || value <= now) return std::nullopt;
  return value;
}

LambdaRuntimeApi::LambdaRuntimeApi(HttpClient& http, std::string api)
    : http_(http), base_(fmt::format("http://{}/{}/runtime", api, kApiVersion)) {}

Result<LambdaInvocation> LambdaRuntimeApi::Next(const std::function<bool()>& stop, TimeMs now) {
  HttpRequest req;
  req.method = "GET";
  req.url = base_ + "/invocation/next";
  // No timeout: the call blocks until an event arrives, possibly across a
  // freeze of the sandbox; a client-side timeout could drop a delivered event.
  req.timeout_ms = 0;
  req.abort_if = stop;
  Result<HttpResponse> resp = http_.Send(req);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) {
    return Status::Internal(
        fmt::format("GET {}: HTTP {}: {}", req.url, resp->status, resp->body.substr(0, 200)));
  }
  LambdaInvocation inv;
  const std::string* id = resp->FindHeader("lambda-runtime-aws-request-id");
  if (id == nullptr || id->empty()) {
    return Status::Internal("GET " + req.url + ": no Lambda-Runtime-Aws-Request-Id header");
  }
  inv.request_id = *id;
  inv.payload = std::move(resp->body);
  inv.deadline_ms = PlausibleDeadline(resp->FindHeader("lambda-runtime-deadline-ms"), now);
  if (const std::string* t = resp->FindHeader("lambda-runtime-trace-id")) inv.trace_id = *t;
  if (const std::string* a = resp->FindHeader("lambda-runtime-invoked-function-arn")) inv.function_arn = *a;
  return inv;
}

Status LambdaRuntimeApi::Post(const std::string& path, const std::string& body,
                              const std::string& error_type) {
  HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.body = body;
  req.SetHeader("Content-Type", "application/json");
  if (!error_type.empty()) req.SetHeader("Lambda-Runtime-Function-Error-Type", error_type);
  Result<HttpResponse> resp = http_.Send(req);
  // A connect failure never reached the API, so one more try cannot post twice.
  if (!resp.ok() && IsConnectFailure(resp.status())) resp = http_.Send(req);
  if (!resp.ok()) return resp.status();
  if (resp->status / 100 != 2) {
    std::string message =
        fmt::format("POST {}: HTTP {}: {}", req.url, resp->status, resp->body.substr(0, 200));
    // 413: the response is over Lambda's payload limit.
    return resp->status == 413 ? Status::InvalidInput(message) : Status::Internal(message);
  }
  return Status::Ok();
}

Status LambdaRuntimeApi::Respond(const std::string& request_id, const std::string& body) {
  return Post("/invocation/" + UriEncode(request_id, false) + "/response", body, "");
}

Status LambdaRuntimeApi::ReportError(const std::string& request_id, const std::string& type,
                                     const std::string& message) {
  return Post("/invocation/" + UriEncode(request_id, false) + "/error", ErrorBody(type, message), type);
}

Status LambdaRuntimeApi::ReportInitError(const std::string& type, const std::string& message) {
  return Post("/init/error", ErrorBody(type, message), type);
}

Status RunLambdaLoop(LambdaRuntimeApi& api, Clock& clock, Logger& log, const LambdaRuntimeOptions& options,
                     const LambdaHandler& handler, const std::function<bool()>& stop) {
  std::mt19937_64 rng(std::random_device{}());
  int invocations = 0;
  int next_failures = 0;
  log.Info("lambda_runtime_started", {{"max_invocations", options.max_invocations}});
  while (!stop() && (options.max_invocations == 0 || invocations < options.max_invocations)) {
    Result<LambdaInvocation> next = api.Next(stop, clock.NowMs());
    if (!next.ok()) {
      const Status& st = next.status();
      if (st.code() == Status::Code::kCancelled) break;
      if (st.code() != Status::Code::kUnavailable && st.code() != Status::Code::kTimeout) {
        log.Error("lambda_next_failed", {{"error", st.ToString()}, {"fatal", true}});
        return st;
      }
      ++next_failures;
      log.Warn("lambda_next_failed", {{"error", st.ToString()}, {"attempt", next_failures}});
      if (next_failures >= options.max_next_failures) {
        return Status::Unavailable(
            fmt::format("Runtime API unreachable after {} attempts: {}", next_failures, st.message()));
      }
      clock.SleepMs(JitteredBackoffMs(next_failures, options.retry_base_ms, options.retry_max_ms, rng));
      continue;
    }
    next_failures = 0;
    ++invocations;
    const LambdaInvocation& inv = *next;
    if (options.export_trace_env) {
      if (inv.trace_id.empty()) {
        ::unsetenv("_X_AMZN_TRACE_ID");
      } else {
        ::setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);
      }
    }
    InvocationLogger ilog(log, inv);
    const TimeMs started = clock.NowMs();
    nlohmann::json start = {{"payload_bytes", inv.payload.size()}};
    if (inv.deadline_ms) start["remaining_ms"] = *inv.deadline_ms - started;
    ilog.Info("lambda_invocation_started", std::move(start));

    LambdaOutcome outcome = Invoke(handler, inv, ilog);
    Status posted = outcome.ok ? api.Respond(inv.request_id, outcome.body)
                               : api.ReportError(inv.request_id, outcome.error_type, outcome.error_message);
    if (!posted.ok() && outcome.ok && posted.code() == Status::Code::kInvalidInput) {
      // The response was refused (too large): say so instead of leaving the
      // invocation to time out.
      posted = api.ReportError(inv.request_id, "Runtime.ResponseRejected", posted.message());
    }
    nlohmann::json done = {{"ok", outcome.ok}, {"duration_ms", clock.NowMs() - started}};
    if (!outcome.ok) {
      done["error_type"] = outcome.error_type;
      done["error"] = outcome.error_message;
    }
    if (!posted.ok()) {
      done["post_error"] = posted.ToString();
      ilog.Error("lambda_invocation_finished", std::move(done));
    } else {
      ilog.Info("lambda_invocation_finished", std::move(done));
    }
  }
  log.Info("lambda_runtime_stopped", {{"invocations", invocations}});
  return Status::Ok();
}

}  // namespace docpipe
