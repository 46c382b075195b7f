// The stack's IAM roles as the code defines them (app/iam_roles.h): every
// grant names declared operations on resources of the right kind, and a
// process scoped to a role can call only what the role grants.
#include "app/iam_roles.h"

#include <gtest/gtest.h>

#include "queue/sqs_work_queue.h"
#include "tables/dynamodb_tables.h"

namespace docpipe {
namespace {

TEST(IamRolesTest, EveryRoleResolvesToPermissions) {
  ASSERT_EQ(StackRoles().size(), 4u);
  for (const StackRole& role : StackRoles()) {
    Result<std::vector<RolePermission>> perms = RolePermissions(role);
    ASSERT_TRUE(perms.ok()) << role.name << ": " << perms.status().ToString();
    EXPECT_FALSE(perms->empty()) << role.name;
    for (const RolePermission& p : *perms) {
      EXPECT_EQ(p.action.find('*'), std::string::npos) << role.name << " " << p.action;
    }
  }
}

TEST(IamRolesTest, DeclaredActionsBelongToTheAdaptersService) {
  // IAM prefixes differ from signing names only for CloudWatch.
  for (const StackRole& role : StackRoles()) {
    for (const RoleGrant& grant : role.grants) {
      const std::string& service = grant.adapter->service;
      if (service.empty()) continue;  // what AWS services do for the role
      const std::string prefix = service == "monitoring" ? "cloudwatch:" : service + ":";
      for (const AwsOperation& op : grant.adapter->operations) {
        for (const AwsPermission& p : op.permissions) {
          EXPECT_EQ(p.action.rfind(prefix, 0), 0u) << grant.adapter->adapter << " " << op.name << " " << p.action;
        }
      }
    }
  }
}

TEST(IamRolesTest, LambdaRoleOnlyRegisters) {
  const StackRole* lambda = FindStackRole("lambda");
  ASSERT_NE(lambda, nullptr);
  Result<std::vector<RolePermission>> perms = RolePermissions(*lambda);
  ASSERT_TRUE(perms.ok());
  auto has = [&](const std::string& action, const std::string& resource) {
    for (const RolePermission& p : *perms) {
      if (p.action == action && p.resource == resource) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("dynamodb:PutItem", "control-table"));
  EXPECT_TRUE(has("sqs:SendMessage", "work-queue"));
  EXPECT_FALSE(has("sqs:ReceiveMessage", "work-queue"));
  EXPECT_FALSE(has("dynamodb:DeleteItem", "control-table"));
  for (const RolePermission& p : *perms) EXPECT_NE(p.action.rfind("s3:", 0), 0u) << "the lambda never reads S3";
}

TEST(IamRolesTest, ScopeFollowsTheRole) {
  auto lambda = CallScopeOfRole("lambda");
  const std::string control = DynamoDbControlTableOperations().adapter;
  EXPECT_TRUE(lambda->allowed.count(control + "/Query"));
  EXPECT_FALSE(lambda->allowed.count(control + "/DeleteItem"));
  EXPECT_FALSE(lambda->allowed.count(SqsProvisionOperations().adapter + "/CreateQueue"));
  auto worker = CallScopeOfRole("worker");
  EXPECT_TRUE(worker->allowed.count(SqsWorkQueueOperations().adapter + "/ReceiveMessage"));
  EXPECT_TRUE(CallScopeOfRole("no-such-role")->allowed.empty());
  // Platform grants (log delivery, image pulls) are never calls of docpipe's.
  auto execution = CallScopeOfRole("task-execution");
  for (const std::string& key : execution->allowed) ADD_FAILURE() << key;
}

TEST(IamRolesTest, JsonListsEveryRole) {
  Result<nlohmann::json> j = StackRolesJson();
  ASSERT_TRUE(j.ok());
  for (const char* role : {"lambda", "worker", "head", "task-execution"}) EXPECT_TRUE(j->contains(role)) << role;
  for (const auto& p : (*j)["worker"]) {
    if (p["action"] == "cloudwatch:PutMetricData") {
      EXPECT_EQ(p["resource"], "*");
      EXPECT_EQ(p["condition_key"], "cloudwatch:namespace");
    }
  }
}

}  // namespace
}  // namespace docpipe
