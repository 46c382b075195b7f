#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/aws_clients.h"
#include "common/clock.h"
#include "common/logger.h"
#include "config/config.h"
#include "embed/embedder.h"
#include "index/vector_index.h"
#include "monitoring/metric_sink.h"
#include "ocr/ocr_engine.h"
#include "ocr/ocr_pool.h"
#include "pipeline/document_processor.h"
#include "pipeline/event_recorder.h"
#include "pipeline/registrar.h"
#include "pipeline/services.h"
#include "pipeline/stage.h"

namespace docpipe {

// The composition root: builds the adapters the configuration names, once,
// and owns them for the life of a command.
class Runtime {
 public:
  //! Opens (creating when needed) the workspace of `config`.
  //! `worker_id` is recorded in leases and audit events; `env` may enable
  //! test fault injection (pipeline/fault_injection_stage.h).
  static Result<std::unique_ptr<Runtime>> Open(const Config& config, const std::string& worker_id,
                                               const Environment& env);
  ~Runtime();

  const Config& config() const { return config_; }
  Services& services() { return *services_; }
  EventRecorder& events() { return *events_; }
  Registrar& registrar() { return *registrar_; }
  DocumentProcessor& processor() { return *processor_; }
  ProcessorOptions processor_options() const;
  Embedder& embedder() { return *embedder_; }
  VectorIndex& index() { return *index_; }
  //! A secret by its variable name (ResolveApiKey: `name` in the
  //! environment, else the Secrets Manager secret named by `name`_SECRET_ARN).
  Result<std::string> ApiKey(const std::string& name, const Environment& env);

  //! Use Open(); public only so it can be built with make_unique.
  explicit Runtime(Config config) : config_(std::move(config)) {}

 private:
  Status OpenEmbeddedAdapters();
  Status OpenAwsAdapters(const Environment& env);
  // The AWS clients, built on first use (the aws backend, Comprehend, keys
  // in Secrets Manager).
  AwsClients& Aws(const Environment& env);
  // The HTTP transport of the non-AWS services (OpenAI, Pinecone).
  HttpClient& Http();

  Config config_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<AwsClients> aws_;  // built on first use; used by the adapters below
  HttpClientPtr http_;
  ObjectStorePtr store_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
  WorkQueuePtr queue_;
  MetricSinkPtr metric_sink_;  // flushed on destruction, before the clients go
  std::unique_ptr<Services> services_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<Registrar> registrar_;
  EmbedderPtr embedder_;
  VectorIndexPtr index_;
  OcrEnginePtr ocr_engine_;          // null when OCR is off
  std::unique_ptr<OcrPool> ocr_pool_;  // shared by the extractors in stages_ (declared before them)
  std::vector<StagePtr> stages_;
  std::unique_ptr<DocumentProcessor> processor_;
};

// "host:pid" — unique per process on a machine.
std::string DefaultWorkerId();

}  // namespace docpipe
