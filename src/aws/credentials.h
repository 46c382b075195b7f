#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/environment.h"
#include "common/status.h"
#include "http/http_client.h"

namespace docpipe {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
  TimeMs expiration = 0;      // 0 = does not expire
};

// Source of AWS credentials. Implementations cache and refresh before expiry.
// Thread-safe. Error messages never contain secret values.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<AwsCredentials> Get() = 0;
};

using CredentialsProviderPtr = std::unique_ptr<CredentialsProvider>;

// Fixed credentials (tests).
CredentialsProviderPtr NewStaticCredentialsProvider(AwsCredentials credentials);

// The standard chain, first that yields credentials wins:
//  1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]
//  2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity)
//  3. shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
//     AWS_CONFIG_FILE (~/.aws/config), profile AWS_PROFILE or "default"
//  4. ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
//     AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
// Credentials with an expiration are refreshed 5 minutes before it.
// `http` and `clock` must outlive the provider.
CredentialsProviderPtr NewDefaultCredentialsChain(const Environment& env, HttpClient& http, Clock& clock);

}  // namespace docpipe
