#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "app/aws_clients.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/logger.h"
#include "config/config.h"
#include "http/http_client.h"
#include "monitoring/metric_sink.h"
#include "object_store/object_store.h"
#include "pipeline/event_recorder.h"
#include "pipeline/registrar.h"
#include "pipeline/services.h"
#include "queue/work_queue.h"
#include "tables/tables.h"

namespace docpipe {

// The smallest assembly: the storage of a workspace as the configuration
// names it. The clock, the logger, the object store, the control, audit and
// metrics tables, the work queue and the live metric sink, with the Services,
// EventRecorder and Registrar built on them. Adapters open when asked for:
// status opens the control table alone (on the aws backend: no SQS lookup),
// audit the audit log, metrics the metrics table; retry --no-wait, lambda and
// a delete of a document that never reached its load stage open all of this
// and nothing else: no tokenizer, embedder or vector index, and no call to
// OpenAI, Pinecone or Secrets Manager. The other assemblies (Retrieval,
// Processing) build on it. Thread-safe.
class Storage {
 public:
  //! Prepares the workspace of `config` (validated here), creating its
  //! folder when needed, with the clock and the logger; opens no adapter.
  //! `worker_id` goes into leases and audit events.
  static Result<std::unique_ptr<Storage>> Open(const Config& config, const std::string& worker_id,
                                               const Environment& env);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  const Config& config() const { return config_; }
  const Environment& env() const { return env_; }
  Clock& clock() { return *clock_; }
  Logger& logger() { return *logger_; }

  //! One adapter, opened on first use. InvalidInput when the workspace or
  //! the AWS resource it names cannot be used; other errors from the service.
  Result<ControlTable*> control();
  Result<AuditLog*> audit();
  Result<MetricsTable*> metrics();

  //! Opens every storage adapter (object store, tables, queue, metric sink)
  //! and builds the Services, EventRecorder and Registrar on them.
  Status OpenAll();
  //! Valid once OpenAll() succeeded.
  Services& services() { return *services_; }
  EventRecorder& events() { return *events_; }
  Registrar& registrar() { return *registrar_; }

  //! The AWS clients; built on first use.
  AwsClients& aws();
  //! The HTTP transport of the services outside AWS (OpenAI, Pinecone),
  //! built on first use.
  HttpClient& http();
  //! A secret by its variable name: `name` in the environment, else the
  //! Secrets Manager secret that `name`_SECRET_ARN names (ResolveApiKey).
  //! NotFound when neither is set.
  Result<std::string> Secret(const std::string& name);

 private:
  Storage(Config config, Environment env, std::string worker_id)
      : config_(std::move(config)), env_(std::move(env)), worker_id_(std::move(worker_id)) {}
  // The adapters, each opened once (under open_mu_).
  Status OpenControlLocked();
  Status OpenAuditLocked();
  Status OpenMetricsLocked();
  Status OpenStoreLocked();
  Status OpenQueueLocked();

  const Config config_;
  const Environment env_;
  const std::string worker_id_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Logger> logger_;
  std::mutex lazy_mu_;  // guards the two clients built on first use
  std::unique_ptr<AwsClients> aws_;
  HttpClientPtr http_;
  std::mutex open_mu_;  // guards the adapters below while they open
  ObjectStorePtr store_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
  WorkQueuePtr queue_;
  MetricSinkPtr metric_sink_;  // flushed on destruction, before the clients go
  std::unique_ptr<Services> services_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<Registrar> registrar_;
};

// "host:pid": unique per process on a machine.
std::string DefaultWorkerId();

}  // namespace docpipe
