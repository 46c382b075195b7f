#pragma once

#include <memory>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "config/config.h"
#include "http/http_client.h"

namespace docpipe {

// One client per AWS service the pipeline calls, sharing one transport, one
// credentials chain and one retry quota (the AWS standard retry mode shares
// the quota across a process's clients).
struct AwsClients {
  HttpClientPtr http;
  CredentialsProviderPtr credentials;
  RetryQuota quota;
  std::unique_ptr<AwsClient> s3;
  std::unique_ptr<AwsClient> dynamodb;
  std::unique_ptr<AwsClient> sqs;
  std::unique_ptr<AwsClient> cloudwatch;
  std::unique_ptr<AwsClient> secrets;
  std::unique_ptr<AwsClient> comprehend;
};

// Builds the clients for `config.aws`, with endpoints from the environment
// (AWS_ENDPOINT_URL[_<SERVICE>]) or `config.aws.endpoint_url`. `clock`
// must outlive the clients.
std::unique_ptr<AwsClients> NewAwsClients(const Config& config, const Environment& env, Clock& clock);

}  // namespace docpipe
