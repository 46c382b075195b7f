#include "cli/provision_command.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "app/aws_clients.h"
#include "app/iam_roles.h"
#include "app/storage.h"
#include "cli/commands.h"
#include "monitoring/metric_sink.h"
#include "object_store/s3_object_store.h"
#include "queue/sqs_work_queue.h"
#include "tables/dynamodb_tables.h"

namespace docpipe {
namespace {

int Report(const nlohmann::json& out, bool json) {
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& [k, v] : out.items()) std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
  return kExitOk;
}

int Fail(const std::string& what, const Status& st) {
  std::cerr << "docpipe provision: " << what << ": " << st.ToString() << "\n";
  return st.code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
}

}  // namespace

int PrintProvisionPlan(const Config& config) {
  const AwsSettings& a = config.aws;
  DynamoDbTableNames names{a.control_table, a.audit_table, a.metrics_table};
  nlohmann::json ttl = nlohmann::json::object();
  for (const auto& [table, attribute] : DynamoDbTimeToLiveAttributes(names)) ttl[table] = attribute;
  nlohmann::json metrics = nlohmann::json::array();
  for (const PublishedMetric& m : kPublishedMetrics) {
    metrics.push_back({{"name", m.name},
                       {"unit", m.unit},
                       {"dimensions", m.dimension ? nlohmann::json::array({m.dimension}) : nlohmann::json::array()}});
  }
  Result<nlohmann::json> roles = StackRolesJson();
  if (!roles.ok()) return Fail("IAM roles", roles.status());
  const int visibility_s = static_cast<int>((config.lease_ms + 999) / 1000);
  nlohmann::json plan = {
      {"create_table_requests", DynamoDbCreateTableRequests(names)},
      {"time_to_live_attributes", ttl},
      {"queues",
       {{"work_queue", {{"name", a.queue_name},
                        {"attributes", SqsWorkQueueAttributes("<dead-letter-queue-arn>", config.max_receive_count,
                                                              visibility_s)}}},
        {"dead_letter_queue", {{"name", a.dlq_name}, {"attributes", SqsDeadLetterQueueAttributes()}}}}},
      {"cloudwatch", {{"namespace", a.cloudwatch_namespace}, {"metrics", metrics}}},
      {"iam_roles", *roles}};
  std::cout << plan.dump(2) << "\n";
  return kExitOk;
}

int RunProvision(const Config& config, const Environment& env, bool json) {
  if (config.backend != Backend::kAws) {
    Result<std::unique_ptr<Storage>> storage = Storage::Open(config, DefaultWorkerId(), env);
    Status opened = storage.ok() ? (*storage)->OpenAll() : storage.status();
    if (!opened.ok()) return Fail("workspace " + config.workspace, opened);
    return Report({{"backend", ChoiceName(config.backend)}, {"workspace", config.workspace}}, json);
  }
  std::unique_ptr<Clock> clock = NewSystemClock();
  std::unique_ptr<AwsClients> aws = NewAwsClients(config, env, *clock);
  const AwsSettings& a = config.aws;
  if (Status st = ProvisionS3Bucket(*aws->s3, a.bucket, a.region, a.s3_force_path_style); !st.ok()) return Fail("bucket " + a.bucket, st);
  DynamoDbTableNames tables{a.control_table, a.audit_table, a.metrics_table};
  if (Status st = ProvisionDynamoDbTables(*aws->dynamodb, tables, 120'000); !st.ok()) return Fail("tables", st);
  if (a.queue_name.empty() || a.dlq_name.empty()) {
    return Fail("queues", Status::InvalidInput("provisioning needs SQS_QUEUE_NAME and SQS_DLQ_NAME"));
  }
  // A message stays hidden for the lease; workers extend it while they work.
  const int visibility_s = static_cast<int>((config.lease_ms + 999) / 1000);
  if (Status st = ProvisionSqsQueues(*aws->sqs, a.queue_name, a.dlq_name, config.max_receive_count, visibility_s);
      !st.ok()) {
    return Fail("queues", st);
  }
  Result<std::string> queue_url = GetSqsQueueUrl(*aws->sqs, a.queue_name);
  if (!queue_url.ok()) return Fail("queue " + a.queue_name, queue_url.status());
  Result<std::string> dlq_url = GetSqsQueueUrl(*aws->sqs, a.dlq_name);
  if (!dlq_url.ok()) return Fail("queue " + a.dlq_name, dlq_url.status());
  return Report({{"backend", "aws"},
                 {"region", a.region},
                 {"bucket", a.bucket},
                 {"control_table", a.control_table},
                 {"audit_table", a.audit_table},
                 {"metrics_table", a.metrics_table},
                 {"queue_url", *queue_url},
                 {"dlq_url", *dlq_url},
                 {"max_receive_count", config.max_receive_count}},
                json);
}

}  // namespace docpipe
