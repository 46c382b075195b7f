#pragma once

#include <string>

#include "aws/aws_client.h"
#include "common/environment.h"

namespace docpipe {

// What ResolveSecret calls (GetSecretValue).
const AwsOperationSet& SecretsOperations();

// The secret value stored under `arn` in AWS Secrets Manager (GetSecretValue,
// current version) through `secretsmanager` (signing name "secretsmanager").
// A plain-text SecretString is returned as is. A JSON object (the console's
// key/value form) yields the string field `json_key` (e.g. "OPENAI_API_KEY"),
// or, when that key is absent, its only field if it has exactly one string
// field. Anything else (binary secret, empty string, key missing among
// several fields, non-string value) is InvalidInput; a missing secret is
// NotFound. Error messages name the ARN and key, never the value.
Result<std::string> ResolveSecret(AwsClient& secretsmanager, const std::string& arn, const std::string& json_key);

// An API key by its variable name (e.g. "OPENAI_API_KEY", "PINECONE_API_KEY"):
// the environment variable itself when set, else the Secrets Manager secret
// whose ARN is in `<name>_SECRET_ARN` (ResolveSecret with `name` as the JSON
// key). NotFound naming both variables when neither is set.
Result<std::string> ResolveApiKey(const std::string& name, const Environment& env, AwsClient& secretsmanager);

}  // namespace docpipe
