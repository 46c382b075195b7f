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
  std::unique_ptr<Storage> s(new Storage(config, env, worker_id));
  std::error_code ec;
  std::filesystem::create_directories(config.workspace, ec);
  if (ec) {
    return Status::InvalidInput(fmt::format("workspace {}: cannot create: {}", config.workspace, ec.message()));
  }
  s->clock_ = NewSystemClock();
  s->logger_ =
      NewJsonLinesLogger(*s->clock_, config.LogPath(), config.log_stderr, ParseLogLevel(config.log_level));
  return s;
}

Result<ControlTable*> Storage::control() {
  std::lock_guard lock(open_mu_);
  DOCPIPE_RETURN_IF_ERROR(OpenControlLocked());
  return control_.get();
}

Result<AuditLog*> Storage::audit() {
  std::lock_guard lock(open_mu_);
  DOCPIPE_RETURN_IF_ERROR(OpenAuditLocked());
  return audit_.get();
}

Result<MetricsTable*> Storage::metrics() {
  std::lock_guard lock(open_mu_);
  DOCPIPE_RETURN_IF_ERROR(OpenMetricsLocked());
  return metrics_.get();
}

Status Storage::OpenAll() {
  std::lock_guard lock(open_mu_);
  if (services_) return Status::Ok();
  DOCPIPE_RETURN_IF_ERROR(OpenStoreLocked());
  DOCPIPE_RETURN_IF_ERROR(OpenControlLocked());
  DOCPIPE_RETURN_IF_ERROR(OpenAuditLocked());
  DOCPIPE_RETURN_IF_ERROR(OpenMetricsLocked());
  DOCPIPE_RETURN_IF_ERROR(OpenQueueLocked());
  if (config_.backend == Backend::kAws && config_.aws.cloudwatch_metrics) {
    CloudWatchSinkOptions cw;
    cw.metric_namespace = config_.aws.cloudwatch_namespace;
    metric_sink_ = NewCloudWatchMetricSink(*aws().cloudwatch, *clock_, *logger_, cw);
  }
  services_ = std::make_unique<Services>(
      Services{*clock_, *logger_, *store_, *control_, *audit_, *metrics_, *queue_, metric_sink_.get()});
  events_ = std::make_unique<EventRecorder>(*services_, worker_id_, config_.ttl_days);
  registrar_ = std::make_unique<Registrar>(*services_, *events_, config_.max_retries);
  return Status::Ok();
}

Status Storage::OpenStoreLocked() {
  if (store_) return Status::Ok();
  Result<ObjectStorePtr> store = Status::Internal("no object store");
  if (config_.backend == Backend::kEmbedded) {
    store = NewLocalObjectStore(config_.StoreRoot());
  } else {
    S3Options s3;
    s3.bucket = config_.aws.bucket;
    s3.force_path_style = config_.aws.s3_force_path_style;  // custom endpoints get path style anyway
    s3.temp_dir = config_.workspace + "/tmp";               // downloads for the extractors
    std::error_code ec;
    std::filesystem::create_directories(s3.temp_dir, ec);
    if (ec) return Status::InvalidInput(fmt::format("{}: cannot create: {}", s3.temp_dir, ec.message()));
    store = NewS3ObjectStore(*aws().s3, s3);
    if (!store.ok()) return store.status().Annotate("S3 bucket " + config_.aws.bucket);
  }
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  return Status::Ok();
}

Status Storage::OpenControlLocked() {
  if (control_) return Status::Ok();
  if (config_.backend == Backend::kAws) {
    control_ = NewDynamoDbControlTable(*aws().dynamodb, config_.aws.control_table);
    return Status::Ok();
  }
  Result<ControlTablePtr> control = NewSqliteControlTable(config_.DatabasePath());
  if (!control.ok()) return control.status();
  control_ = std::move(*control);
  return Status::Ok();
}

Status Storage::OpenAuditLocked() {
  if (audit_) return Status::Ok();
  if (config_.backend == Backend::kAws) {
    audit_ = NewDynamoDbAuditLog(*aws().dynamodb, config_.aws.audit_table);
    return Status::Ok();
  }
  Result<AuditLogPtr> audit = NewSqliteAuditLog(config_.DatabasePath());
  if (!audit.ok()) return audit.status();
  audit_ = std::move(*audit);
  return Status::Ok();
}

Status Storage::OpenMetricsLocked() {
  if (metrics_) return Status::Ok();
  if (config_.backend == Backend::kAws) {
    metrics_ = NewDynamoDbMetricsTable(*aws().dynamodb, config_.aws.metrics_table);
    return Status::Ok();
  }
  Result<MetricsTablePtr> metrics = NewSqliteMetricsTable(config_.DatabasePath());
  if (!metrics.ok()) return metrics.status();
  metrics_ = std::move(*metrics);
  return Status::Ok();
}

Status Storage::OpenQueueLocked() {
  if (queue_) return Status::Ok();
  Result<WorkQueuePtr> queue = Status::Internal("no work queue");
  if (config_.backend == Backend::kEmbedded) {
    SqliteWorkQueueOptions qopts;
    qopts.max_receive_count = config_.max_receive_count;
    queue = NewSqliteWorkQueue(config_.DatabasePath(), *clock_, qopts);
  } else {
    const AwsSettings& a = config_.aws;
    AwsClients& clients = aws();
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
    queue = NewSqsWorkQueue(*clients.sqs, q);
  }
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
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
