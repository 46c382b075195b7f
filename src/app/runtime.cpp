#include "app/runtime.h"

#include <filesystem>
#include <limits>
#include <unistd.h>

#include <fmt/format.h>

#include "extract/extractor_registry.h"
#include "pipeline/fault_injection_stage.h"
#include "pipeline/stages.h"
#include "tokenize/bpe_tokenizer.h"
#include "aws/secrets.h"
#include "embed/openai_embedder.h"
#include "enrich/comprehend_enricher.h"
#include "index/pinecone_vector_index.h"
#include "monitoring/cloudwatch_metric_sink.h"
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

Runtime::~Runtime() = default;

ProcessorOptions Runtime::processor_options() const {
  ProcessorOptions o;
  o.lease_ms = config_.lease_ms;
  o.heartbeat_ms = config_.EffectiveHeartbeatMs();
  o.retry_base_ms = config_.retry_base_ms;
  o.retry_max_ms = config_.retry_max_ms;
  o.stage_timeout_ms = config_.stage_timeout_ms;
  o.document_timeout_ms = config_.document_timeout_ms;
  return o;
}

Status Runtime::OpenEmbeddedAdapters() {
  const Config& config = config_;
  Result<ObjectStorePtr> store = NewLocalObjectStore(config.StoreRoot());
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  const std::string db = config.DatabasePath();
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
  qopts.max_receive_count = config.max_receive_count;
  Result<WorkQueuePtr> queue = NewSqliteWorkQueue(db, *clock_, qopts);
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
  return Status::Ok();
}

HttpClient& Runtime::Http() {
  if (!http_) http_ = NewCurlHttpClient();
  return *http_;
}

AwsClients& Runtime::Aws(const Environment& env) {
  if (!aws_) aws_ = NewAwsClients(config_, env, *clock_);
  return *aws_;
}

Result<std::string> Runtime::ApiKey(const std::string& name, const Environment& env) {
  return ResolveApiKey(name, env, *Aws(env).secrets);
}

Status Runtime::OpenAwsAdapters(const Environment& env) {
  const AwsSettings& a = config_.aws;
  AwsClients& aws = Aws(env);
  S3Options s3;
  s3.bucket = a.bucket;
  s3.force_path_style = a.s3_force_path_style;  // custom endpoints get path style anyway
  s3.temp_dir = config_.workspace + "/tmp";     // downloads for the extractors
  std::error_code ec;
  std::filesystem::create_directories(s3.temp_dir, ec);
  if (ec) return Status::InvalidInput(fmt::format("{}: cannot create: {}", s3.temp_dir, ec.message()));
  Result<ObjectStorePtr> store = NewS3ObjectStore(*aws.s3, s3);
  if (!store.ok()) return store.status().Annotate("S3 bucket " + a.bucket);
  store_ = std::move(*store);
  control_ = NewDynamoDbControlTable(*aws.dynamodb, a.control_table);
  audit_ = NewDynamoDbAuditLog(*aws.dynamodb, a.audit_table);
  metrics_ = NewDynamoDbMetricsTable(*aws.dynamodb, a.metrics_table);
  SqsQueueOptions q;
  q.queue_url = a.queue_url;
  if (q.queue_url.empty()) {
    Result<std::string> url = GetSqsQueueUrl(*aws.sqs, a.queue_name);
    if (!url.ok()) {
      return url.status().Annotate(fmt::format("SQS queue {} (run `docpipe provision` or deploy the stack)",
                                               a.queue_name));
    }
    q.queue_url = *url;
  }
  q.dlq_url = a.dlq_url;
  if (q.dlq_url.empty() && !a.dlq_name.empty()) {
    Result<std::string> url = GetSqsQueueUrl(*aws.sqs, a.dlq_name);
    if (!url.ok()) return url.status().Annotate("SQS dead-letter queue " + a.dlq_name);
    q.dlq_url = *url;
  }
  Result<WorkQueuePtr> queue = NewSqsWorkQueue(*aws.sqs, q);
  if (!queue.ok()) return queue.status();
  queue_ = std::move(*queue);
  if (a.cloudwatch_metrics) {
    CloudWatchSinkOptions cw;
    cw.metric_namespace = a.cloudwatch_namespace;
    metric_sink_ = NewCloudWatchMetricSink(*aws.cloudwatch, *clock_, *logger_, cw);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config, const std::string& worker_id,
                                               const Environment& env) {
  DOCPIPE_RETURN_IF_ERROR(ValidateConfig(config));
  auto rt = std::make_unique<Runtime>(config);
  std::error_code ec;
  std::filesystem::create_directories(config.workspace, ec);
  if (ec) {
    return Status::InvalidInput(fmt::format("workspace {}: cannot create: {}", config.workspace, ec.message()));
  }
  rt->clock_ = NewSystemClock();
  rt->logger_ = NewJsonLinesLogger(*rt->clock_, config.LogPath(), config.log_stderr, ParseLogLevel(config.log_level));

  if (config.backend == "aws") {
    DOCPIPE_RETURN_IF_ERROR(rt->OpenAwsAdapters(env));
  } else {
    DOCPIPE_RETURN_IF_ERROR(rt->OpenEmbeddedAdapters());
  }
  rt->services_ = std::make_unique<Services>(Services{*rt->clock_, *rt->logger_, *rt->store_, *rt->control_,
                                                      *rt->audit_, *rt->metrics_, *rt->queue_,
                                                      rt->metric_sink_.get()});
  rt->events_ = std::make_unique<EventRecorder>(*rt->services_, worker_id, config.ttl_days);
  rt->registrar_ = std::make_unique<Registrar>(*rt->services_, *rt->events_, config.max_retries);

  if (config.ocr.enabled) {
    OcrOptions ocr;
    ocr.languages = config.ocr.languages;
    ocr.tessdata_dir = config.ocr.tessdata_dir;
    Result<OcrEnginePtr> engine = NewTesseractOcrEngine(ocr);
    if (!engine.ok()) return engine.status().Annotate("OCR (ocr.languages, DOCPIPE_OCR_LANGUAGES)");
    rt->ocr_engine_ = std::move(*engine);
    rt->ocr_pool_ = std::make_unique<OcrPool>(*rt->ocr_engine_, config.ocr.threads);
  }
  // Attachments (e-mail) become documents of their own through the registrar.
  rt->stages_.push_back(
      NewExtractStage(NewDefaultExtractors(config.extract, rt->ocr_pool_.get()), rt->registrar_.get()));
  // Chunk budgets are counted exactly as the embedding model will count them.
  const std::string encoding = EncodingForModel(config.embedding_model);
  if (!KnownEncodingForModel(config.embedding_model)) {
    rt->logger_->Warn("unknown_embedding_model", {{"model", config.embedding_model}, {"encoding", encoding}});
  }
  Result<TokenizerPtr> tokenizer = NewBpeTokenizer(encoding);
  if (!tokenizer.ok()) return tokenizer.status().Annotate("tokenizer " + encoding);
  rt->stages_.push_back(NewChunkStage(std::move(*tokenizer), config.chunk));
  EnrichOptions enrich;
  enrich.redact_pii = config.redact_pii;
  enrich.min_score = config.enrich_min_score;
  EnricherPtr enricher;
  if (config.enricher == "comprehend") {
    ComprehendOptions co;
    co.max_requests_per_second = config.comprehend.requests_per_second;
    enricher = NewComprehendEnricher(*rt->Aws(env).comprehend, *rt->clock_, co);
  } else {
    enricher = NewLocalEnricher();
  }
  rt->stages_.push_back(NewEnrichStage(std::move(enricher), enrich));
  Result<EmbedderPtr> embedder = Status::Internal("no embedder");
  if (config.embedder == "openai") {
    Result<std::string> key = ResolveApiKey("OPENAI_API_KEY", env, *rt->Aws(env).secrets);
    if (!key.ok()) return key.status().Annotate("OpenAI");
    OpenAiEmbedderOptions oo;
    oo.base_url = config.openai.base_url;
    oo.api_key = std::move(*key);
    oo.model = config.embedding_model;
    oo.dimensions = config.openai.dimensions;
    oo.requests_per_minute = config.openai.requests_per_minute;
    oo.tokens_per_minute = config.openai.tokens_per_minute;
    oo.concurrency = config.openai.concurrency;
    embedder = NewOpenAiEmbedder(rt->Http(), *rt->clock_, oo);
    if (!embedder.ok()) return embedder.status().Annotate("OpenAI embedder");
  } else {
    embedder = NewLocalEmbedderChecked({config.embed_dimension, config.workers});
    if (!embedder.ok()) return embedder.status();
  }
  rt->embedder_ = std::move(*embedder);
  // A remote embedder packs requests itself (tokens and inputs per request):
  // hand it a document's chunks at once, or small documents waste requests.
  const int embed_batch = config.embedder == "openai" ? std::numeric_limits<int>::max() : config.embed_batch_size;
  rt->stages_.push_back(NewEmbedStage(*rt->embedder_, embed_batch));
  // The index holds what the embedder makes: its dimension decides.
  Result<VectorIndexPtr> index = Status::Internal("no vector store");
  if (config.vector_store == "pinecone") {
    Result<std::string> key = ResolveApiKey("PINECONE_API_KEY", env, *rt->Aws(env).secrets);
    if (!key.ok()) return key.status().Annotate("Pinecone");
    PineconeOptions po;
    po.api_key = std::move(*key);
    po.index_name = config.pinecone.index;
    po.namespace_ = config.pinecone.name_space;
    po.index_host = config.pinecone.index_host;
    po.controller_host = config.pinecone.controller_host;
    po.cloud = config.pinecone.cloud;
    po.region = config.pinecone.region;
    po.dimension = rt->embedder_->Dimension();
    index = NewPineconeVectorIndex(rt->Http(), *rt->clock_, po);
    if (!index.ok()) return index.status().Annotate("Pinecone index " + config.pinecone.index);
  } else {
    LocalVectorIndexOptions index_options;
    index_options.directory = config.IndexDir();
    index_options.dimension = rt->embedder_->Dimension();
    index = NewLocalVectorIndex(index_options);
    if (!index.ok()) return index.status().Annotate("vector index " + config.IndexDir());
  }
  rt->index_ = std::move(*index);
  rt->stages_.push_back(NewLoadStage(*rt->index_));
  std::vector<Stage*> stages;
  for (StagePtr& s : rt->stages_) {
    StageFaults faults = StageFaultsFromEnvironment(env, s->Name());
    if (faults.any()) {
      rt->logger_->Warn("fault_injection_enabled", {{"stage", s->Name()}, {"delay_ms", faults.delay_ms},
                                                    {"fail_attempts", faults.fail_attempts}});
    }
    s = WrapWithFaults(std::move(s), faults, *rt->clock_);
    stages.push_back(s.get());
  }
  rt->processor_ =
      std::make_unique<DocumentProcessor>(*rt->services_, *rt->events_, std::move(stages), rt->processor_options());
  return rt;
}

}  // namespace docpipe
