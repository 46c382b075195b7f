#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace docpipe {

// What an IAM permission applies to, as the kind of resource of its ARN.
enum class AwsResourceKind {
  kNone,          // the action has no resource ARN: IAM wants Resource "*"
  kBucket,        // arn:aws:s3:::bucket
  kObjects,       // arn:aws:s3:::bucket/*
  kTable,         // a DynamoDB table
  kTableIndexes,  // its global secondary indexes (table/index/*)
  kQueue,         // an SQS queue
  kSecret,        // a Secrets Manager secret
  kLogGroup,      // a CloudWatch Logs log group (its streams)
  kRepository,    // an ECR repository
};

// One IAM action an operation needs, on what. `condition_key` names the
// condition key that narrows an action without a resource ARN (for
// cloudwatch:PutMetricData, "cloudwatch:namespace").
struct AwsPermission {
  std::string action;  // "s3:GetObject"
  AwsResourceKind resource = AwsResourceKind::kNone;
  std::string condition_key;
};

// An API operation ("HeadObject", "PutItem") and the IAM actions it needs.
// S3's REST operations are not IAM actions: HeadObject needs s3:GetObject,
// the multipart calls s3:PutObject, ListObjectsV2 s3:ListBucket.
struct AwsOperation {
  std::string name;
  std::vector<AwsPermission> permissions;
};

// Every operation one adapter may call. An AwsClient bound to the set (see
// AwsClient::ForAdapter) refuses any other operation: calling an undeclared
// one is a bug, so the adapters' tests prove the declarations complete, and
// the IAM policies of the CloudFormation stack are checked against them.
struct AwsOperationSet {
  std::string adapter;  // "s3-object-store"
  std::string service;  // the signing name of the client it runs on ("s3"); "" for platform sets
  std::vector<AwsOperation> operations;

  const AwsOperation* Find(std::string_view name) const {
    for (const AwsOperation& op : operations) {
      if (op.name == name) return &op;
    }
    return nullptr;
  }
};

std::string_view AwsResourceKindName(AwsResourceKind kind);

}  // namespace docpipe
