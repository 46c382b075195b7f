#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/aws_client.h"
#include "aws/aws_operations.h"
#include "common/status.h"

namespace docpipe {

// The resources of the CloudFormation stack (deploy/cloudformation/docpipe.yaml)
// a role's permissions name. Their names are the `resource` values of
// `docpipe iam-actions --json`.
enum class StackResource {
  kBucket,
  kControlTable,
  kAuditTable,
  kMetricsTable,
  kWorkQueue,
  kDeadLetterQueue,
  kOpenAiKeySecret,
  kPineconeKeySecret,
  kApiTokenSecret,
  kLambdaLogGroup,
  kHeadLogGroup,
  kWorkerLogGroup,
  kImageRepository,
};
std::string_view StackResourceName(StackResource r);

// Some operations of one adapter (all of them when `operations` is empty) on
// some stack resources.
struct RoleGrant {
  const AwsOperationSet* adapter;
  std::vector<std::string> operations;
  std::vector<StackResource> resources;
};

// An IAM role of the stack: what the process (or the AWS service acting for
// it) running in it calls. Roles hold no provisioning operations: the stack
// creates the resources.
struct StackRole {
  std::string name;         // "lambda", "worker", "head", "task-execution"
  std::string description;
  std::vector<RoleGrant> grants;
};

// lambda (`docpipe lambda`), worker (`docpipe worker`), head (`docpipe
// serve`) and task-execution (ECS pulling the image and shipping logs).
const std::vector<StackRole>& StackRoles();
const StackRole* FindStackRole(std::string_view name);

// One IAM statement's worth: `resource` is a StackResourceName, with "/*"
// (objects of the bucket) or "/index/*" (a table's indexes) appended, or "*"
// for actions without a resource ARN; `condition_key` narrows those.
struct RolePermission {
  std::string action;
  std::string resource;
  std::string condition_key;
  bool operator<(const RolePermission& o) const;
  bool operator==(const RolePermission& o) const = default;
};

// The sorted, distinct permissions of `role`; InvalidInput when a grant names
// an operation its adapter does not declare or puts a permission on a
// resource of the wrong kind (a table action on a queue).
Result<std::vector<RolePermission>> RolePermissions(const StackRole& role);

// {"<role>": [{"action", "resource"[, "condition_key"]}...], ...} for every role.
Result<nlohmann::json> StackRolesJson();

// The scope of AWS calls a process running as `role` may make (adapter
// operations granted to it); a scope that allows nothing for an unknown role.
std::shared_ptr<const AwsCallScope> CallScopeOfRole(std::string_view role);

}  // namespace docpipe
