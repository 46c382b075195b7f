#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/logger.h"
#include "common/status.h"
#include "http/http_client.h"

namespace docpipe {

// One invocation as the Lambda Runtime API hands it out.
struct LambdaInvocation {
  std::string request_id;  // Lambda-Runtime-Aws-Request-Id
  std::string payload;     // the event, JSON text
  std::optional<TimeMs> deadline_ms;  // nullopt when absent or not a plausible epoch time
  std::string trace_id;      // Lambda-Runtime-Trace-Id, "" when absent
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
};

// What a handler made of an invocation: a response, or an error for Lambda.
struct LambdaOutcome {
  bool ok = true;
  std::string body;  // JSON response, when ok
  std::string error_type;
  std::string error_message;

  static LambdaOutcome Response(std::string body) { return {true, std::move(body), "", ""}; }
  static LambdaOutcome Error(std::string type, std::string message) {
    return {false, "", std::move(type), std::move(message)};
  }
};

// `log` adds aws_request_id and trace_id to every line it writes.
using LambdaHandler = std::function<LambdaOutcome(const LambdaInvocation& invocation, Logger& log)>;

// The Runtime API, version 2018-06-01, at "host:port" (AWS_LAMBDA_RUNTIME_API).
class LambdaRuntimeApi {
 public:
  LambdaRuntimeApi(HttpClient& http, std::string api);

  //! Waits for the next invocation with no timeout (the Runtime API holds
  //! the request until an event arrives; the sandbox may be frozen meanwhile).
  //! Cancelled as soon as `stop` returns true; Unavailable/Timeout on
  //! transport errors; Internal on an HTTP error or a response without a
  //! request id. `now` judges the deadline header.
  Result<LambdaInvocation> Next(const std::function<bool()>& stop, TimeMs now);
  //! POST .../invocation/{id}/response.
  Status Respond(const std::string& request_id, const std::string& body);
  //! POST .../invocation/{id}/error with {"errorMessage", "errorType"}.
  Status ReportError(const std::string& request_id, const std::string& type, const std::string& message);
  //! POST /2018-06-01/runtime/init/error: the function could not start.
  Status ReportInitError(const std::string& type, const std::string& message);

 private:
  Status Post(const std::string& path, const std::string& body, const std::string& error_type);

  HttpClient& http_;
  std::string base_;  // "http://host:port/2018-06-01/runtime"
};

struct LambdaRuntimeOptions {
  int max_invocations = 0;    // stop after this many (tests); 0 = until stopped
  int max_next_failures = 8;  // consecutive transport errors on /next before giving up
  int64_t retry_base_ms = 100;
  int64_t retry_max_ms = 5'000;
  // Set _X_AMZN_TRACE_ID for each invocation, as the custom-runtime contract
  // asks, so AWS SDK code in this process can join the trace.
  bool export_trace_env = true;
};

// next -> handler -> response or error, until `stop` returns true,
// max_invocations are done, or /next failed max_next_failures times in a row
// (Unavailable) or answered with an HTTP error (Internal: the Runtime API
// says the sandbox is broken; exiting lets Lambda replace it).
Status RunLambdaLoop(LambdaRuntimeApi& api, Clock& clock, Logger& log, const LambdaRuntimeOptions& options,
                     const LambdaHandler& handler, const std::function<bool()>& stop);

// The Lambda-Runtime-Deadline-Ms header as an epoch-ms time, or nullopt when
// it is missing, not a number, or not plausibly one: below 1e12 (before 2001;
// local emulators such as @vercel/fun send a constant like 5000) or already
// past at `now`. An unknown deadline only means nothing is cut short.
std::optional<TimeMs> PlausibleDeadline(const std::string* header, TimeMs now);

}  // namespace docpipe
