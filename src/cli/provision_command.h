#pragma once

#include "config/config.h"

namespace docpipe {

// `docpipe provision`: creates what the configuration names when it is
// absent — for the aws backend the bucket, the three tables (keys, GSIs,
// TTL) and the work queue with its dead-letter queue; for the embedded
// backend the workspace. Idempotent. For development, tests and
// S3/DynamoDB/SQS-compatible servers; production uses the CloudFormation stack.
int RunProvision(const Config& config, const Environment& env, bool json);

}  // namespace docpipe
