#include "aws/aws_client.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "aws/sigv4.h"
#include "http/http_retry.h"
#include "common/xml_text.h"

namespace docpipe {
namespace {

constexpr int kRetryCost = 5;
constexpr int kTimeoutRetryCost = 10;
constexpr int kQuotaMax = 500;
constexpr int64_t kBackoffBaseMs = 100;
constexpr int64_t kBackoffCapMs = 20'000;
constexpr int64_t kRetryAfterCapMs = 60'000;

const std::set<std::string>& ThrottlingCodes() {
  // The AWS standard retry mode's throttling errors.
  static const std::set<std::string> codes = {
      "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
      "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
      "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
      "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "AWS.SimpleQueueService.RequestThrottled"};
  return codes;
}

const std::set<std::string>& TransientCodes() {
  static const std::set<std::string> codes = {"RequestTimeout", "RequestTimeoutException", "InternalError",
                                              "InternalFailure", "ServiceUnavailable", "ExpiredToken",
                                              "ExpiredTokenException", "RequestExpired"};
  return codes;
}

const std::set<std::string>& NotFoundCodes() {
  static const std::set<std::string> codes = {
      "ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload",
      "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "ResourceNotFound"};
  return codes;
}

std::string ErrorMessage(const HttpResponse& r) {
  if (r.body.empty()) return "";
  if (r.body[0] == '{') {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object()) {
      for (const char* k : {"message", "Message", "errorMessage"}) {
        if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
      }
    }
    return "";
  }
  return XmlText(r.body, "Message").value_or("");
}

}  // namespace

std::string ResolveAwsEndpoint(const std::string& service, const std::string& region, const Environment& env) {
  // The SDKs name the variable after the service id ("CloudWatch", "Secrets Manager").
  std::string id = service == "monitoring" ? "CLOUDWATCH" : service == "secretsmanager" ? "SECRETS_MANAGER" : service;
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return c == '-' ? '_' : std::toupper(c); });
  for (const std::string& name : {"AWS_ENDPOINT_URL_" + id, std::string("AWS_ENDPOINT_URL")}) {
    if (const std::string* value = EnvLookup(env, name)) {
      std::string url = *value;
      while (!url.empty() && url.back() == '/') url.pop_back();
      return url;
    }
  }
  return fmt::format("https://{}.{}.amazonaws.com", service, region);
}

bool RetryQuota::Acquire(bool timeout) {
  const int cost = timeout ? kTimeoutRetryCost : kRetryCost;
  int cur = tokens_.load();
  while (cur >= cost) {
    if (tokens_.compare_exchange_weak(cur, cur - cost)) return true;
  }
  return false;
}

void RetryQuota::Release(bool retried, bool timeout) {
  // A success refunds what its retries took, or adds one token.
  const int refund = retried ? (timeout ? kTimeoutRetryCost : kRetryCost) : 1;
  int cur = tokens_.load();
  while (!tokens_.compare_exchange_weak(cur, std::min(kQuotaMax, cur + refund))) {
  }
}

std::string AwsErrorCode(const HttpResponse& r) {
  std::string code;
  if (const std::string* q = r.FindHeader("x-amzn-query-error")) {
    code = q->substr(0, q->find(';'));  // SQS JSON keeps its query-protocol code here
  } else if (!r.body.empty() && r.body[0] == '{') {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object()) {
      for (const char* k : {"__type", "code", "Code"}) {
        if (j.contains(k) && j[k].is_string()) {
          code = j[k].get<std::string>();
          break;
        }
      }
    }
  } else if (!r.body.empty()) {
    code = XmlText(r.body, "Code").value_or("");
  }
  if (code.empty()) {
    if (const std::string* t = r.FindHeader("x-amzn-errortype")) code = *t;
  }
  // "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" and
  // "ValidationException:http://internal.amazon.com/..." both name the code.
  if (size_t hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string::npos) code = code.substr(0, colon);
  return code;
}

Status AwsErrorStatus(const std::string& what, const HttpResponse& r) {
  const std::string code = AwsErrorCode(r);
  std::string message = ErrorMessage(r);
  if (message.size() > 500) message = message.substr(0, 500) + "...";
  std::string text = fmt::format("{}: {}{}{}(HTTP {})", what, code.empty() ? "" : code + ": ", message,
                                 message.empty() ? "" : " ", r.status);
  if (ThrottlingCodes().count(code) || r.status == 429) return Status::Throttled(text);
  if (code == "ConditionalCheckFailedException" || code == "PreconditionFailed" ||
      code == "TransactionConflictException") {
    return Status::Conflict(text);
  }
  if (code == "RequestTimeout" || code == "RequestTimeoutException") return Status::Timeout(text);
  if (r.status >= 500 || TransientCodes().count(code)) return Status::Unavailable(text);
  if (NotFoundCodes().count(code) || r.status == 404) return Status::NotFound(text);
  return Status::InvalidInput(text);
}

std::string_view AwsResourceKindName(AwsResourceKind kind) {
  switch (kind) {
    case AwsResourceKind::kNone: return "none";
    case AwsResourceKind::kBucket: return "bucket";
    case AwsResourceKind::kObjects: return "objects";
    case AwsResourceKind::kTable: return "table";
    case AwsResourceKind::kTableIndexes: return "table-indexes";
    case AwsResourceKind::kQueue: return "queue";
    case AwsResourceKind::kSecret: return "secret";
    case AwsResourceKind::kLogGroup: return "log-group";
    case AwsResourceKind::kRepository: return "repository";
  }
  return "?";
}

AwsClient::AwsClient(AwsServiceConfig config, HttpClient& http, CredentialsProvider& credentials, Clock& clock,
                     RetryQuota& quota, const AwsOperationSet* operations, std::shared_ptr<const AwsCallScope> scope)
    : config_(std::move(config)),
      operations_(operations),
      scope_(std::move(scope)),
      http_(http),
      credentials_(credentials),
      clock_(clock),
      quota_(quota),
      rng_(std::random_device{}()) {}

std::unique_ptr<AwsClient> AwsClient::ForAdapter(const AwsOperationSet& operations) const {
  return std::make_unique<AwsClient>(config_, http_, credentials_, clock_, quota_, &operations, scope_);
}

Status AwsClient::CheckOperation(std::string_view operation) const {
  if (operations_ == nullptr) {
    return Status::Internal(fmt::format("AWS {} {}: the client is bound to no adapter's declared operations (a bug)",
                                        config_.signing_name, operation));
  }
  const AwsOperationSet& ops = *operations_;
  if (ops.service != config_.signing_name || ops.Find(operation) == nullptr) {
    return Status::Internal(fmt::format("AWS {} {}: not an operation adapter {} declares (service {}; a bug: "
                                        "declare it with the IAM actions it needs)",
                                        config_.signing_name, operation, ops.adapter, ops.service));
  }
  if (scope_ != nullptr && scope_->allowed.count(ops.adapter + "/" + std::string(operation)) == 0) {
    return Status::Internal(fmt::format("AWS {} {}: adapter {} may not call it in role {} (aws/iam_roles.cpp)",
                                        config_.signing_name, operation, ops.adapter, scope_->role));
  }
  return Status::Ok();
}

int64_t AwsClient::BackoffMs(int attempt) {
  const int64_t ceiling = std::min(kBackoffCapMs, kBackoffBaseMs << std::min(attempt, 20));
  std::lock_guard<std::mutex> lock(rng_mu_);
  return std::uniform_int_distribution<int64_t>(0, ceiling)(rng_);
}

Result<HttpResponse> AwsClient::SendWithRetries(HttpRequest request, bool idempotent, const std::string& what,
                                                std::initializer_list<int> accept_status,
                                                HttpResponse* error_response) {
  bool retried = false;
  bool last_was_timeout = false;
  Status last;
  auto aborted = [&] { return request.abort_if && request.abort_if(); };
  const Status abandoned = Status::Cancelled(what + ": request abandoned (cancelled or past its deadline)");
  for (int attempt = 0; attempt < std::max(1, config_.max_attempts); ++attempt) {
    if (aborted()) return abandoned;
    if (attempt > 0) {
      if (!quota_.Acquire(last_was_timeout)) return last.Annotate("retry quota exhausted");
      retried = true;
    }
    Result<AwsCredentials> creds = credentials_.Get();
    if (!creds.ok()) return creds.status().Annotate(what);
    HttpRequest signed_request = request;
    SigV4Params params{config_.region, config_.signing_name, clock_.NowMs(), config_.signing_name == "s3"};
    SignSigV4(signed_request, *creds, params);
    Result<HttpResponse> sent = http_.Send(signed_request);
    int64_t retry_after_ms = -1;
    if (!sent.ok()) {
      if (error_response != nullptr) *error_response = HttpResponse{};
      last = sent.status().Annotate(what);
      last_was_timeout = sent.status().code() == Status::Code::kTimeout;
      // Unless the call is safe to repeat, only a request that never left can be.
      if (!idempotent && !IsConnectFailure(sent.status())) return last;
    } else {
      const HttpResponse& r = *sent;
      const bool accepted = std::find(accept_status.begin(), accept_status.end(), r.status) != accept_status.end();
      if ((r.status >= 200 && r.status < 300) || accepted) {
        quota_.Release(retried, last_was_timeout);
        return std::move(sent).value();
      }
      last = AwsErrorStatus(what, r);
      if (error_response != nullptr) *error_response = r;
      last_was_timeout = last.code() == Status::Code::kTimeout;
      const bool retryable = last.code() == Status::Code::kThrottled || last.code() == Status::Code::kUnavailable ||
                             last.code() == Status::Code::kTimeout;
      if (!retryable || !idempotent) return last;
      // Retry-After as every HTTP peer reads it (seconds or a date), capped.
      if (const int64_t ra = RetryAfterMs(r, clock_.NowMs()); ra >= 0) retry_after_ms = std::min(kRetryAfterCapMs, ra);
    }
    if (attempt + 1 < config_.max_attempts) {
      // A cancel (a deadline) ends a long Retry-After wait.
      const int64_t wait = retry_after_ms >= 0 ? retry_after_ms : BackoffMs(attempt);
      if (!SleepUnlessAborted(clock_, wait, request.abort_if)) return abandoned;
    }
  }
  return last;
}

Result<nlohmann::json> AwsClient::CallJson(const std::string& target, const std::string& json_version,
                                           const nlohmann::json& body, bool idempotent, int64_t timeout_ms,
                                           nlohmann::json* error_body, std::function<bool()> abort_if) {
  // "DynamoDB_20120810.PutItem", "secretsmanager.GetSecretValue": the operation follows the last dot.
  const size_t dot = target.rfind('.');
  DOCPIPE_RETURN_IF_ERROR(CheckOperation(dot == std::string::npos ? target : target.substr(dot + 1)));
  HttpRequest req;
  req.method = "POST";
  req.url = config_.endpoint + "/";
  req.timeout_ms = timeout_ms > 0 ? timeout_ms : config_.timeout_ms;
  req.headers = {{"Content-Type", "application/x-amz-json-" + json_version}, {"X-Amz-Target", target}};
  req.body = body.dump();
  req.abort_if = std::move(abort_if);
  HttpResponse error_response;
  Result<HttpResponse> r = SendWithRetries(std::move(req), idempotent, target, {}, &error_response);
  if (!r.ok()) {
    if (error_body != nullptr && error_response.status != 0 && !error_response.body.empty()) {
      auto e = nlohmann::json::parse(error_response.body, nullptr, false);
      if (e.is_object()) *error_body = std::move(e);
    }
    return r.status();
  }
  if (r->body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    return Status::Unavailable(fmt::format("{}: response is not JSON ({} bytes)", target, r->body.size()));
  }
  return j;
}

Result<HttpResponse> AwsClient::CallRest(std::string_view operation, HttpRequest request, bool idempotent,
                                         const std::string& what, std::initializer_list<int> accept_status) {
  DOCPIPE_RETURN_IF_ERROR(CheckOperation(operation));
  return SendWithRetries(std::move(request), idempotent, what, accept_status);
}

Result<std::string> AwsClient::Presign(std::string_view operation, const HttpRequest& request,
                                       int64_t expires_seconds) {
  DOCPIPE_RETURN_IF_ERROR(CheckOperation(operation));
  Result<AwsCredentials> creds = credentials_.Get();
  if (!creds.ok()) return creds.status().Annotate(std::string("presigning ") + std::string(operation));
  return PresignSigV4(request, *creds, SigV4Params{config_.region, config_.signing_name, clock_.NowMs(), false},
                      expires_seconds);
}

}  // namespace docpipe
