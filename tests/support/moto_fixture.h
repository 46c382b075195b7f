#pragma once

#include <memory>
#include <string>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "common/clock.h"
#include "http/http_client.h"
#include "support/moto_server.h"

namespace docpipe::testing {

// The moto_server of this test process for `options`: started on first use
// (it takes seconds), then shared by every suite that asks for it, and
// stopped when the process exits. Tests keep apart by naming their resources
// after themselves (or by MotoServer::Reset). nullptr with `error` filled
// when it cannot start: the caller fails its tests with that error (nothing
// is skipped). Thread-safe.
MotoServer* SharedMotoServer(std::string* error, MotoServerOptions options = {});

//! The failure message of a suite whose moto_server did not start.
std::string MotoStartFailure(const std::string& error);

// An AwsClient for one service on a moto_server, with what it depends on:
// the transport (curl, or `http` when given, which must outlive it), dummy
// credentials, the system clock and a retry quota.
class MotoAwsClient {
 public:
  MotoAwsClient(const MotoServer& moto, const std::string& signing_name, HttpClient* http = nullptr,
                int64_t timeout_ms = 30'000, const std::string& region = "us-east-1");
  ~MotoAwsClient();
  MotoAwsClient(const MotoAwsClient&) = delete;
  MotoAwsClient& operator=(const MotoAwsClient&) = delete;

  AwsClient& client() { return *client_; }
  HttpClient& http() { return *http_; }
  Clock& clock() { return *clock_; }
  CredentialsProvider& credentials() { return *credentials_; }
  RetryQuota& quota() { return quota_; }

 private:
  HttpClientPtr own_http_;
  HttpClient* http_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<CredentialsProvider> credentials_;
  RetryQuota quota_;
  std::unique_ptr<AwsClient> client_;
};

}  // namespace docpipe::testing
