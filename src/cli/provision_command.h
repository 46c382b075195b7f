#pragma once

#include "config/config.h"

namespace docpipe {

// `docpipe provision`: creates what the configuration names when it is
// absent — for the aws backend the bucket, the three tables (keys, GSIs,
// TTL) and the work queue with its dead-letter queue; for the embedded
// backend the workspace. Idempotent. For development, tests and
// S3/DynamoDB/SQS-compatible servers; production uses the CloudFormation stack.
int RunProvision(const Config& config, const Environment& env, bool json);

// `docpipe provision --print-plan` (hidden): what provisioning would create —
// the CreateTable requests, TTL attributes, queue attributes — plus the
// CloudWatch metrics workers publish and each stack IAM role's permissions,
// as JSON, without calling AWS. The CloudFormation tests compare the
// template with it.
int PrintProvisionPlan(const Config& config);

}  // namespace docpipe
