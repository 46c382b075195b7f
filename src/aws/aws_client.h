#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string_view>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/aws_operations.h"
#include "aws/credentials.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/logger.h"
#include "http/http_client.h"

namespace docpipe {

// Where and how to reach one AWS service.
struct AwsServiceConfig {
  std::string region = "us-east-1";
  std::string signing_name;  // "s3", "dynamodb", "sqs", "monitoring", "secretsmanager", "sts", ...
  std::string endpoint;      // "https://dynamodb.us-east-1.amazonaws.com" or a custom URL, no trailing '/'
  int max_attempts = 3;      // AWS standard retry mode
  int64_t timeout_ms = 30'000;
};

// The endpoint for `service` (endpoint-resolution id: "s3", "dynamodb", "sqs",
// "monitoring", "secretsmanager", "sts", "comprehend"): AWS_ENDPOINT_URL_<ID>
// (upper-case id; CloudWatch's is AWS_ENDPOINT_URL_CLOUDWATCH), else
// AWS_ENDPOINT_URL, else the public regional endpoint.
std::string ResolveAwsEndpoint(const std::string& service, const std::string& region, const Environment& env);

// The retry quota of the AWS standard retry mode: retries draw from a shared
// bucket (500 tokens; 5 per retry, 10 after a timeout) refilled by successes,
// so a failing service is not hammered by every caller at once. Thread-safe.
class RetryQuota {
 public:
  bool Acquire(bool timeout);  // false: quota exhausted, do not retry
  void Release(bool retried, bool timeout);
  int available() const { return tokens_.load(); }

 private:
  std::atomic<int> tokens_{500};
};

// An error answer from an AWS service, mapped to a Status code:
// throttling → Throttled, 5xx → Unavailable, ConditionalCheckFailed → Conflict,
// ResourceNotFound / NoSuchKey / 404 → NotFound, other 4xx → InvalidInput.
// The message is "<Service> <Operation>: <Code>: <message> (HTTP <status>)".
Status AwsErrorStatus(const std::string& what, const HttpResponse& response);
// The error code of a JSON-protocol or XML (S3) error response; "" when none.
std::string AwsErrorCode(const HttpResponse& response);

// Which adapters' operations a process may call at all: the operations the
// stack's IAM role of the running command allows (see aws/iam_roles.h).
// Keys are "<adapter>/<operation>".
struct AwsCallScope {
  std::string role;
  std::set<std::string> allowed;
};

// Signs, sends and retries requests to one service. The retry policy is the
// AWS standard mode: up to max_attempts for throttling errors, 5xx, transport
// errors and timeouts, full-jitter exponential backoff (base 100 ms, cap 20 s)
// or the server's Retry-After, bounded by the shared RetryQuota. A call that is
// not idempotent is retried only when the request never reached the server.
//
// A client calls only the operations declared by the adapter it is bound to
// (`operations`, or ForAdapter): any other call is a bug and fails with an
// Internal error naming the adapter and the operation, before any request.
// A client bound to nothing refuses every call; it only hands out bound
// clients. With a scope, operations outside it fail the same way.
class AwsClient {
 public:
  AwsClient(AwsServiceConfig config, HttpClient& http, CredentialsProvider& credentials, Clock& clock,
            RetryQuota& quota, const AwsOperationSet* operations = nullptr,
            std::shared_ptr<const AwsCallScope> scope = nullptr);

  const AwsServiceConfig& config() const { return config_; }
  //! A client on the same transport, credentials and retry quota, bound to
  //! `operations` (which must outlive it) and keeping this client's scope.
  std::unique_ptr<AwsClient> ForAdapter(const AwsOperationSet& operations) const;
  //! Limits the clients handed out from now on to `scope` (null: no limit).
  void SetScope(std::shared_ptr<const AwsCallScope> scope) { scope_ = std::move(scope); }
  //! Ok when `operation` may be called on this client (see the class comment).
  Status CheckOperation(std::string_view operation) const;

  // AWS JSON protocol (DynamoDB "DynamoDB_20120810.PutItem" with
  // json_version "1.0"; SQS "AmazonSQS.SendMessage" 1.0; CloudWatch, Secrets
  // Manager, Comprehend 1.1). Returns the parsed response body ({} when empty).
  // `timeout_ms` > 0 replaces config().timeout_ms for this call (an SQS long
  // poll must outlast its wait). `error_body`, when given, receives the parsed
  // body of an error answer (left untouched on success or a transport
  // failure): DynamoDB puts the stored item there for
  // ReturnValuesOnConditionCheckFailure=ALL_OLD. `abort_if` (a stage's
  // cancel flag, which its deadline raises) ends the call with Cancelled:
  // before each attempt, during the waits between them, and about once a
  // second while a request is on the wire.
  Result<nlohmann::json> CallJson(const std::string& target, const std::string& json_version,
                                  const nlohmann::json& body, bool idempotent, int64_t timeout_ms = 0,
                                  nlohmann::json* error_body = nullptr, std::function<bool()> abort_if = {});
  // A REST request (S3) of API operation `operation` ("HeadObject"): `request.url` is the full URL. Non-2xx answers are
  // returned as an error Status from AwsErrorStatus, except the statuses in
  // `accept_status` (e.g. 404 for HeadObject) which are returned as responses.
  Result<HttpResponse> CallRest(std::string_view operation, HttpRequest request, bool idempotent,
                                const std::string& what,
                                std::initializer_list<int> accept_status = {});
  //! A presigned URL for REST operation `operation` (S3 "PutObject"): the
  //! request is signed in its query (SigV4 query auth) with the current
  //! credentials at the clock's time, valid `expires_seconds`, so someone
  //! without credentials (a browser) can send it once. The request's headers
  //! are signed: the sender must send them unchanged. Internal for an
  //! operation the adapter did not declare.
  Result<std::string> Presign(std::string_view operation, const HttpRequest& request, int64_t expires_seconds);
  //! The clock the client waits on: adapters that poll (a table becoming
  //! ACTIVE) wait on it too.
  Clock& clock() const { return clock_; }

 private:
  // `error_response`, when given, receives the last attempt's error answer.
  Result<HttpResponse> SendWithRetries(HttpRequest request, bool idempotent, const std::string& what,
                                       std::initializer_list<int> accept_status,
                                       HttpResponse* error_response = nullptr);
  int64_t BackoffMs(int attempt);

  AwsServiceConfig config_;
  const AwsOperationSet* operations_;
  std::shared_ptr<const AwsCallScope> scope_;
  HttpClient& http_;
  CredentialsProvider& credentials_;
  Clock& clock_;
  RetryQuota& quota_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace docpipe
