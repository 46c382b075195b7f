#include "app/iam_roles.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "aws/secrets.h"
#include "enrich/comprehend_enricher.h"
#include "monitoring/cloudwatch_metric_sink.h"
#include "object_store/s3_object_store.h"
#include "queue/sqs_work_queue.h"
#include "tables/dynamodb_tables.h"

namespace docpipe {
namespace {

using K = AwsResourceKind;
using R = StackResource;

// What AWS services do with a role on docpipe's behalf: not docpipe's calls,
// so never bound to a client (service ""), but part of the role all the same.
const AwsOperationSet& LogDeliveryOperations() {
  static const AwsOperationSet ops{"log-delivery",
                                   "",
                                   {{"CreateLogStream", {{"logs:CreateLogStream", K::kLogGroup, ""}}},
                                    {"PutLogEvents", {{"logs:PutLogEvents", K::kLogGroup, ""}}}}};
  return ops;
}

const AwsOperationSet& ImagePullOperations() {
  // GetAuthorizationToken has no resource ARN (a registry-wide token).
  static const AwsOperationSet ops{"ecr-image-pull",
                                   "",
                                   {{"GetAuthorizationToken", {{"ecr:GetAuthorizationToken", K::kNone, ""}}},
                                    {"BatchCheckLayerAvailability", {{"ecr:BatchCheckLayerAvailability", K::kRepository, ""}}},
                                    {"GetDownloadUrlForLayer", {{"ecr:GetDownloadUrlForLayer", K::kRepository, ""}}},
                                    {"BatchGetImage", {{"ecr:BatchGetImage", K::kRepository, ""}}}}};
  return ops;
}

// The kinds of permission each stack resource can carry.
bool KindFits(K kind, R resource) {
  switch (kind) {
    case K::kNone: return true;  // "*", whatever the grant names
    case K::kBucket:
    case K::kObjects: return resource == R::kBucket;
    case K::kTable: return resource == R::kControlTable || resource == R::kAuditTable || resource == R::kMetricsTable;
    // The control table (status, stage) and the audit table (event type) have indexes.
    case K::kTableIndexes: return resource == R::kControlTable || resource == R::kAuditTable;
    case K::kQueue: return resource == R::kWorkQueue || resource == R::kDeadLetterQueue;
    case K::kSecret:
      return resource == R::kOpenAiKeySecret || resource == R::kPineconeKeySecret || resource == R::kApiTokenSecret;
    case K::kLogGroup:
      return resource == R::kLambdaLogGroup || resource == R::kHeadLogGroup || resource == R::kWorkerLogGroup;
    case K::kRepository: return resource == R::kImageRepository;
  }
  return false;
}

std::string ResourceOf(const AwsPermission& p, R resource) {
  const std::string name(StackResourceName(resource));
  switch (p.resource) {
    case K::kNone: return "*";
    case K::kObjects: return name + "/*";
    case K::kTableIndexes: return name + "/index/*";
    default: return name;
  }
}

std::vector<StackRole> BuildRoles() {
  const std::vector<R> queues = {R::kWorkQueue, R::kDeadLetterQueue};
  // Without SQS_QUEUE_URL / SQS_DLQ_URL the queues are looked up by name;
  // the stack passes the URLs, but a name-configured process still works.
  const RoleGrant lookup{&SqsQueueLookupOperations(), {}, queues};
  std::vector<StackRole> roles;
  roles.push_back(
      {"lambda",
       "docpipe lambda: registers S3 uploads (control record, DOCUMENT_RECEIVED, daily count) and enqueues them; "
       "it never reads the object",
       {{&DynamoDbControlTableOperations(), {"Query", "PutItem"}, {R::kControlTable}},
        {&DynamoDbAuditLogOperations(), {"PutItem"}, {R::kAuditTable}},
        {&DynamoDbMetricsTableOperations(), {"UpdateItem"}, {R::kMetricsTable}},
        {&SqsWorkQueueOperations(), {"SendMessage"}, {R::kWorkQueue}},
        lookup,
        {&LogDeliveryOperations(), {}, {R::kLambdaLogGroup}}}});
  roles.push_back(
      {"worker",
       "docpipe worker: processes queued documents (every stage), sweeps the dead-letter queue, publishes metrics",
       {{&S3ObjectStoreOperations(), {}, {R::kBucket}},
        {&DynamoDbControlTableOperations(), {}, {R::kControlTable}},
        {&DynamoDbAuditLogOperations(), {}, {R::kAuditTable}},
        {&DynamoDbMetricsTableOperations(), {}, {R::kMetricsTable}},
        {&SqsWorkQueueOperations(), {}, {R::kWorkQueue}},
        {&SqsWorkQueueOperations(), {"ReceiveMessage", "DeleteMessage", "GetQueueAttributes"}, {R::kDeadLetterQueue}},
        lookup,
        {&CloudWatchMetricSinkOperations(), {}, {}},
        {&ComprehendOperations(), {}, {}},
        {&SecretsOperations(), {}, {R::kOpenAiKeySecret, R::kPineconeKeySecret}}}});
  roles.push_back(
      {"head",
       "docpipe serve: reads the tables for the API and the dashboard, requeues (retry, stuck leases), fails "
       "documents out of retries (errors/ record, DocumentsFailed), rolls up the day, reports queue depths, "
       "searches (OpenAI query embeddings, Pinecone), checks its bearer token, shows extracted pages and chunks "
       "(GetObject) and presigns the dashboard's uploads into input/ (PutObject); it never registers or deletes "
       "objects",
       {{&S3ObjectStoreOperations(), {"PutObject", "GetObject"}, {R::kBucket}},
        {&DynamoDbControlTableOperations(), {"GetItem", "Query", "Scan", "UpdateItem"}, {R::kControlTable}},
        {&DynamoDbAuditLogOperations(), {}, {R::kAuditTable}},
        {&DynamoDbMetricsTableOperations(), {"UpdateItem", "Query", "Scan"}, {R::kMetricsTable}},
        {&SqsWorkQueueOperations(), {"SendMessage", "GetQueueAttributes"}, {R::kWorkQueue}},
        {&SqsWorkQueueOperations(), {"GetQueueAttributes"}, {R::kDeadLetterQueue}},
        lookup,
        {&CloudWatchMetricSinkOperations(), {}, {}},
        {&SecretsOperations(), {}, {R::kApiTokenSecret, R::kOpenAiKeySecret, R::kPineconeKeySecret}}}});
  roles.push_back({"task-execution",
                   "ECS on the tasks' behalf: pulls the image and ships the containers' logs",
                   {{&ImagePullOperations(), {}, {R::kImageRepository}},
                    {&LogDeliveryOperations(), {}, {R::kHeadLogGroup, R::kWorkerLogGroup}}}});
  return roles;
}

// The operations of `grant` (all of its adapter's when it names none).
Result<std::vector<const AwsOperation*>> GrantedOperations(const RoleGrant& grant) {
  std::vector<const AwsOperation*> out;
  if (grant.operations.empty()) {
    for (const AwsOperation& op : grant.adapter->operations) out.push_back(&op);
    return out;
  }
  for (const std::string& name : grant.operations) {
    const AwsOperation* op = grant.adapter->Find(name);
    if (op == nullptr) {
      return Status::InvalidInput(fmt::format("adapter {} declares no operation {}", grant.adapter->adapter, name));
    }
    out.push_back(op);
  }
  return out;
}

}  // namespace

std::string_view StackResourceName(StackResource r) {
  switch (r) {
    case R::kBucket: return "bucket";
    case R::kControlTable: return "control-table";
    case R::kAuditTable: return "audit-table";
    case R::kMetricsTable: return "metrics-table";
    case R::kWorkQueue: return "work-queue";
    case R::kDeadLetterQueue: return "dead-letter-queue";
    case R::kOpenAiKeySecret: return "openai-api-key-secret";
    case R::kPineconeKeySecret: return "pinecone-api-key-secret";
    case R::kApiTokenSecret: return "api-token-secret";
    case R::kLambdaLogGroup: return "lambda-log-group";
    case R::kHeadLogGroup: return "head-log-group";
    case R::kWorkerLogGroup: return "worker-log-group";
    case R::kImageRepository: return "image-repository";
  }
  return "?";
}

bool RolePermission::operator<(const RolePermission& o) const {
  return std::tie(action, resource, condition_key) < std::tie(o.action, o.resource, o.condition_key);
}

const std::vector<StackRole>& StackRoles() {
  static const std::vector<StackRole> roles = BuildRoles();
  return roles;
}

const StackRole* FindStackRole(std::string_view name) {
  for (const StackRole& r : StackRoles()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<std::vector<RolePermission>> RolePermissions(const StackRole& role) {
  std::set<RolePermission> out;
  for (const RoleGrant& grant : role.grants) {
    Result<std::vector<const AwsOperation*>> ops = GrantedOperations(grant);
    if (!ops.ok()) return ops.status().Annotate("role " + role.name);
    for (const AwsOperation* op : *ops) {
      for (const AwsPermission& p : op->permissions) {
        if (p.resource == K::kNone) {
          out.insert({p.action, "*", p.condition_key});
          continue;
        }
        if (grant.resources.empty()) {
          return Status::InvalidInput(fmt::format("role {}: {} needs a resource and the grant names none", role.name,
                                                  p.action));
        }
        for (R r : grant.resources) {
          if (!KindFits(p.resource, r)) {
            return Status::InvalidInput(fmt::format("role {}: {} applies to a {}, not to {}", role.name, p.action,
                                                    AwsResourceKindName(p.resource), StackResourceName(r)));
          }
          out.insert({p.action, ResourceOf(p, r), p.condition_key});
        }
      }
    }
  }
  return std::vector<RolePermission>(out.begin(), out.end());
}

Result<nlohmann::json> StackRolesJson() {
  nlohmann::json out = nlohmann::json::object();
  for (const StackRole& role : StackRoles()) {
    Result<std::vector<RolePermission>> perms = RolePermissions(role);
    if (!perms.ok()) return perms.status();
    nlohmann::json list = nlohmann::json::array();
    for (const RolePermission& p : *perms) {
      nlohmann::json j = {{"action", p.action}, {"resource", p.resource}};
      if (!p.condition_key.empty()) j["condition_key"] = p.condition_key;
      list.push_back(std::move(j));
    }
    out[role.name] = std::move(list);
  }
  return out;
}

std::shared_ptr<const AwsCallScope> CallScopeOfRole(std::string_view name) {
  auto scope = std::make_shared<AwsCallScope>();
  scope->role = std::string(name);
  if (const StackRole* role = FindStackRole(name)) {
    for (const RoleGrant& grant : role->grants) {
      if (grant.adapter->service.empty()) continue;  // done by AWS services, not by docpipe's clients
      Result<std::vector<const AwsOperation*>> ops = GrantedOperations(grant);
      if (!ops.ok()) continue;  // RolePermissions reports it; the scope just leaves it out
      for (const AwsOperation* op : *ops) scope->allowed.insert(grant.adapter->adapter + "/" + op->name);
    }
  }
  return scope;
}

}  // namespace docpipe
