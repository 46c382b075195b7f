#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "extract/format_options.h"
#include "common/environment.h"
#include "common/status.h"
#include "pipeline/document_limits.h"

namespace docpipe {

// Where the AWS backend keeps things. Names default to the resources the
// CloudFormation stack creates; environment names are the original pipeline's.
struct AwsSettings {
  std::string region = "us-east-1";        // AWS_REGION, AWS_DEFAULT_REGION
  std::string endpoint_url;                // AWS_ENDPOINT_URL fallback (S3/DynamoDB/SQS-compatible servers)
  std::string bucket;                      // S3_BUCKET (required for the aws backend)
  bool s3_force_path_style = false;        // DOCPIPE_S3_FORCE_PATH_STYLE; implied by a custom S3 endpoint
  std::string control_table = "docpipe-control";  // DYNAMODB_CONTROL_TABLE
  std::string audit_table = "docpipe-audit";      // DYNAMODB_AUDIT_TABLE
  std::string metrics_table = "docpipe-metrics";  // DYNAMODB_METRICS_TABLE
  std::string queue_name = "docpipe-work";        // SQS_QUEUE_NAME
  std::string dlq_name = "docpipe-dlq";           // SQS_DLQ_NAME
  std::string queue_url;                          // SQS_QUEUE_URL (skips the name lookup)
  std::string dlq_url;                            // SQS_DLQ_URL
  bool cloudwatch_metrics = true;                 // DOCPIPE_CLOUDWATCH_METRICS
  std::string cloudwatch_namespace = "DocPipe";   // DOCPIPE_CLOUDWATCH_NAMESPACE
  int max_attempts = 3;                           // AWS_MAX_ATTEMPTS (standard retry mode)
};

// The cloud adapters of issue 6: OpenAI embeddings, Pinecone, Comprehend.
struct OpenAiSettings {
  std::string base_url = "https://api.openai.com/v1";  // OPENAI_BASE_URL (any OpenAI-compatible server)
  int dimensions = 0;                // OPENAI_DIMENSIONS; 0 = the model's default
  int64_t requests_per_minute = 3000;   // OPENAI_REQUESTS_PER_MINUTE (client-side limiter)
  int64_t tokens_per_minute = 1'000'000;  // OPENAI_TOKENS_PER_MINUTE
  int concurrency = 4;               // OPENAI_CONCURRENCY: parallel requests per batch
};

struct PineconeSettings {
  std::string index;                 // PINECONE_INDEX
  std::string name_space;            // PINECONE_NAMESPACE ("" = the default namespace)
  std::string index_host;            // PINECONE_INDEX_HOST: data-plane URL (else from describe_index)
  std::string controller_host = "https://api.pinecone.io";  // PINECONE_CONTROLLER_HOST
  std::string cloud = "aws";         // PINECONE_CLOUD, for a serverless index created when absent
  std::string region = "us-east-1";  // PINECONE_REGION
};

struct ComprehendSettings {
  int requests_per_second = 10;      // DOCPIPE_COMPREHEND_REQUESTS_PER_SECOND, per process
};

// The head service, `docpipe serve` (README "Head service"). The API token
// is a secret: environment or Secrets Manager only, never in this file.
struct ServeSettings {
  std::string bind = "127.0.0.1";  // DOCPIPE_API_BIND, --bind; "0.0.0.0" in a container
  int port = 8265;                 // DOCPIPE_API_PORT, --port
  int64_t head_interval_ms = 60'000;  // DOCPIPE_HEAD_INTERVAL_SECONDS, --head-interval
  // The dashboard (docs/dashboard.md).
  bool secure_cookies = false;               // DOCPIPE_SECURE_COOKIES, --secure-cookies: reached over TLS only
  std::vector<std::string> trusted_proxies;  // DOCPIPE_TRUSTED_PROXIES (comma-separated), --trusted-proxy
  int64_t max_upload_mb = 256;               // DOCPIPE_MAX_UPLOAD_MB: one dashboard upload
  bool process = true;                       // embedded backend: serve also runs workers (--no-workers)
  // The HTTP front's limits (serve/http_server.h, HttpServerLimits; docs/api.md).
  int64_t http_header_timeout_ms = 10'000;    // DOCPIPE_HTTP_HEADER_TIMEOUT_SECONDS: connect to end of headers
  int64_t http_idle_timeout_ms = 10'000;      // DOCPIPE_HTTP_IDLE_TIMEOUT_SECONDS: a silent connection is closed
  int64_t http_max_header_bytes = 32 << 10;   // DOCPIPE_HTTP_MAX_HEADER_KB: request line and headers
  int http_max_connections = 1024;            // DOCPIPE_HTTP_MAX_CONNECTIONS
  int http_max_connections_per_client = 256;  // DOCPIPE_HTTP_MAX_CONNECTIONS_PER_CLIENT; 0 = no cap (a proxy)
  int http_max_requests_per_connection = 1000;  // DOCPIPE_HTTP_MAX_REQUESTS_PER_CONNECTION
  int http_threads = 4;                       // DOCPIPE_HTTP_THREADS: the server's event loops
};

// The adapter choices, parsed once from their names (ParseChoice below): the
// rest of docpipe switches on these, never on strings.
enum class Backend { kEmbedded, kAws };                 // DOCPIPE_BACKEND: embedded | aws
enum class EnricherKind { kLocal, kComprehend };        // DOCPIPE_ENRICHER: local | comprehend
enum class EmbedderKind { kLocal, kOpenAi };            // DOCPIPE_EMBEDDER: local | openai
enum class VectorStoreKind { kLocal, kPinecone };       // DOCPIPE_VECTOR_STORE: local | pinecone

// The name of a choice as configuration spells it ("embedded", "openai").
const char* ChoiceName(Backend b);
const char* ChoiceName(EnricherKind e);
const char* ChoiceName(EmbedderKind e);
const char* ChoiceName(VectorStoreKind v);

// OCR of pages without usable text and of image files (src/ocr/).
struct OcrSettings {
  bool enabled = true;            // DOCPIPE_OCR; false: scanned pages stay empty, images are refused
  std::string languages = "eng";  // DOCPIPE_OCR_LANGUAGES: Tesseract codes joined by '+' ("eng+ara")
  int threads = 0;                // DOCPIPE_OCR_THREADS: pages read at once; 0 = one per core
  std::string tessdata_dir;       // DOCPIPE_TESSDATA_DIR; "" = Debian's /usr/share/tesseract-ocr/5/tessdata
};

// Everything configurable, with defaults. Sources in increasing precedence:
// built-in defaults, the TOML file, environment variables, command-line flags
// (the CLI applies flags last). docs in README "Configuration".
struct Config {
  std::string workspace = ".docpipe";  // embedded backend root
  Backend backend = Backend::kEmbedded;
  int workers = 2;                     // worker threads in this process
  int document_threads = 0;            // DOCPIPE_DOCUMENT_THREADS: threads working on one document's pages
                                       // and chunks (extract, chunk, enrich, embed); 0 = the cores available
  int max_retries = 3;                 // retries of a failing document version
  int64_t lease_ms = 60'000;           // claim lease and queue visibility timeout
  int64_t heartbeat_ms = 0;            // 0 = lease_ms / 3
  int64_t retry_base_ms = 1'000;       // first retry delay, doubled each retry, jittered
  int64_t retry_max_ms = 60'000;
  int64_t stage_timeout_ms = 600'000;
  int64_t document_timeout_ms = 1'800'000;
  int64_t poll_wait_ms = 0;            // queue long-poll wait; 0 = 20 s on aws (SQS's maximum), 1 s embedded
  int max_receive_count = 5;           // queue deliveries before the dead-letter queue
  int64_t ttl_days = 0;                // control/audit item expiry; 0 = keep forever
  ChunkOptions chunk;
  DocumentLimits limits;  // [limits], DOCPIPE_MAX_*, --max-*: bounds on one document
  FormatOptions extract;  // [extract]: comments, speaker notes, sheet table size (non-PDF formats)
  bool redact_pii = false;             // replace PII by [TYPE] in what is embedded and indexed
  double enrich_min_score = 0.7;       // entities below this confidence are dropped
  std::string embedding_model = "text-embedding-3-small";  // OPENAI_MODEL; picks the chunk tokenizer
  int embed_dimension = 512;           // local embedder
  int embed_batch_size = 256;          // texts per embedder call
  std::string log_level = "info";
  bool log_stderr = false;             // also print JSON log lines on stderr
  std::string log_file;                // "" = <workspace>/logs/docpipe.jsonl
  std::string config_file;             // the file that was loaded, if any
  // Set by the command, not configurable: the stack's IAM role it runs in
  // ("lambda", "worker"); its AWS calls are limited to what the role grants
  // (app/iam_roles.h). "" = any operation an adapter declares.
  std::string iam_role;
  AwsSettings aws;
  EnricherKind enricher = EnricherKind::kLocal;        // DOCPIPE_ENRICHER
  EmbedderKind embedder = EmbedderKind::kLocal;        // DOCPIPE_EMBEDDER
  VectorStoreKind vector_store = VectorStoreKind::kLocal;  // DOCPIPE_VECTOR_STORE
  OpenAiSettings openai;
  PineconeSettings pinecone;
  ComprehendSettings comprehend;
  ServeSettings serve;
  OcrSettings ocr;

  int64_t EffectivePollWaitMs() const {
    return poll_wait_ms > 0 ? poll_wait_ms : backend == Backend::kAws ? 20'000 : 1'000;
  }
  int64_t EffectiveHeartbeatMs() const { return heartbeat_ms > 0 ? heartbeat_ms : lease_ms / 3; }
  std::string DatabasePath() const { return workspace + "/docpipe.db"; }
  std::string StoreRoot() const { return workspace + "/store"; }
  std::string IndexDir() const { return workspace + "/index"; }
  std::string LogPath() const { return log_file.empty() ? workspace + "/logs/docpipe.jsonl" : log_file; }
};

// Defaults, then `config_file` (or $DOCPIPE_CONFIG) when given, then the
// environment. InvalidInput names the file/variable and the bad value.
Result<Config> LoadConfig(const std::string& config_file, const Environment& env);

// Applies one TOML document (used by LoadConfig; exposed for tests).
Status ApplyToml(const std::string& toml_text, const std::string& source_name, Config& config);
Status ApplyEnvironment(const Environment& env, Config& config);
Status ValidateConfig(const Config& config);

}  // namespace docpipe
