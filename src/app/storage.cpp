#include "app/storage.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "aws/secrets.h"
#include "http/curl_http_client.h"
#include "monitoring/cloudwatch_metric_sink.h"
#include "object_store/local_object_store.h"
#include "object_store/s3_object_store.h"
#include "queue/sqlite_work_queue.h"
#include "queue/sqs_work_queue.h"
#include "tables/dynamodb_tables.h"
#include "tables/sqlite_tables.h"

namespace docpipe {

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "host");
  return fmt::format("{}:{}", host, getpid());
}

Storage::~Storage() = default;

Result<std::unique_ptr<Storage>> Storage::Open(const Config& config, const std::string& worker_id,
                                               const Environment& env) {
  DOCPIPE_RETURN_IF_ERROR(ValidateConfig(config));
  std::unique_ptr<Storage> s(new Storage(config, env));
  std::error_code ec;
  std::filesystem::create_directories(config.workspace, ec);
  if (ec) {
    return Status::InvalidInput(fmt::format("workspace {}: cannot create: {}", config.workspace, ec.message()));
  }
  s->clock_ = NewSystemClock();
  s->logger_ =
      NewJsonLinesLogger(*s->clock_, config.LogPath(), config.log_stderr, ParseLogLevel(config.log_level));
  switch (config.backend) {
    case Backend::kEmbedded:
      DOCPIPE_RETURN_IF_ERROR(s->OpenEmbedded());
      break;
    case Backend::kAws:
      DOCPIPE_RETURN_IF_ERROR(s->OpenAws());
      break;
  }
  s->services_ = std::make_unique<Services>(Services{*s->clock_, *s->logger_, *s->store_, *s->control_, *s->audit_,
                                                     *s->metrics_, *s->queue_, s->metric_sink_.get()});
  s->events_ = std::make_unique<EventRecorder>(*s->services_, worker_id, config.ttl_days);
  s->registrar_ = std::make_unique<Registrar>(*s->services_, *s->events_, config.max_retries);
  return s;
}

Status Storage::OpenEmbedded() {
  Result<ObjectStorePtr> store = NewLocalObjectStore(config_.StoreRoot());
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  const std::string db = config_.DatabasePath();
  Result<ControlTablePtr> control = NewSqliteControlTable(db);
  if (!control.ok()) return control.status();
  control_ = std::move(*control);
  Result<AuditLogPtr> audit = NewSqliteAuditLog(db);
  if (!audit.ok()) return audit.status();
  audit_ = std::move(*audit);
  Result<MetricsTablePtr> metrics = NewSqliteMetricsTable(db);
  if (!metrics.ok()) return metrics.status();
  metrics_ = std::move(*metrics);
  SqliteWorkQueueOptions qopts;
  qopts.max_receive_count = config_.max_receive_count;
  Result<WorkQueuePtr> queue = NewSqliteWorkQueue(db, *clock_, qopts);
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
  return Status::Ok();
}

Status Storage::OpenAws() {
  const AwsSettings& a = config_.aws;
  AwsClients& clients = aws();
  S3Options s3;
  s3.bucket = a.bucket;
  s3.force_path_style = a.s3_force_path_style;  // custom endpoints get path style anyway
  s3.temp_dir = config_.workspace + "/tmp";     // downloads for the extractors
  std::error_code ec;
  std::filesystem::create_directories(s3.temp_dir, ec);
  if (ec) return Status::InvalidInput(fmt::format("{}: cannot create: {}", s3.temp_dir, ec.message()));
  Result<ObjectStorePtr> store = NewS3ObjectStore(*clients.s3, s3);
  if (!store.ok()) return store.status().Annotate("S3 bucket " + a.bucket);
  store_ = std::move(*store);
  control_ = NewDynamoDbControlTable(*clients.dynamodb, a.control_table);
  audit_ = NewDynamoDbAuditLog(*clients.dynamodb, a.audit_table);
  metrics_ = NewDynamoDbMetricsTable(*clients.dynamodb, a.metrics_table);
  SqsQueueOptions q;
  q.queue_url = a.queue_url;
  if (q.queue_url.empty()) {
    Result<std::string> url = GetSqsQueueUrl(*clients.sqs, a.queue_name);
    if (!url.ok()) {
      return url.status().Annotate(
          fmt::format("SQS queue {} (run `docpipe provision` or deploy the stack)", a.queue_name));
    }
    q.queue_url = *url;
  }
  q.dlq_url = a.dlq_url;
  if (q.dlq_url.empty() && !a.dlq_name.empty()) {
    Result<std::string> url = GetSqsQueueUrl(*clients.sqs, a.dlq_name);
    if (!url.ok()) return url.status().Annotate("SQS dead-letter queue " + a.dlq_name);
    q.dlq_url = *url;
  }
  Result<WorkQueuePtr> queue = NewSqsWorkQueue(*clients.sqs, q);
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
  if (a.cloudwatch_metrics) {
    CloudWatchSinkOptions cw;
    cw.metric_namespace = a.cloudwatch_namespace;
    metric_sink_ = NewCloudWatchMetricSink(*clients.cloudwatch, *clock_, *logger_, cw);
  }
  return Status::Ok();
}

AwsClients& Storage::aws() {
  std::lock_guard lock(lazy_mu_);
  if (!aws_) aws_ = NewAwsClients(config_, env_, *clock_);
  return *aws_;
}

HttpClient& Storage::http() {
  std::lock_guard lock(lazy_mu_);
  if (!http_) http_ = NewCurlHttpClient();
  return *http_;
}

Result<std::string> Storage::Secret(const std::string& name) { return ResolveApiKey(name, env_, *aws().secrets); }

}  // namespace docpipe
