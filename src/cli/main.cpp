// docpipe command line: parses arguments, loads configuration (flags over
// environment over file), opens the runtime and dispatches to a command.
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/processing.h"
#include "app/retrieval.h"
#include "app/storage.h"
#include "cli/commands.h"
#include "cli/health_command.h"
#include "cli/lambda_command.h"
#include "cli/provision_command.h"
#include "cli/serve_command.h"
#include "cli/tokenize_command.h"
#include "cli/version.h"
#include "cli/watch_command.h"
#include "config/config.h"

namespace {

// The one process-wide object: a signal handler can reach nothing else.
docpipe::ShutdownSignal g_shutdown;

void OnSignal(int) { g_shutdown.count.fetch_add(1); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace docpipe;
  CLI::App app{"docpipe: document ingestion pipeline for retrieval (extract, chunk, enrich, embed, load; search)", "docpipe"};
  app.set_version_flag("--version", VersionLine());
  app.require_subcommand(1);
  // Global options are taken before or after the command ("docpipe ingest DIR
  // --workspace W"): what a command does not know falls through to here.
  // Subcommands inherit this setting, so it comes before they are added.
  app.fallthrough();

  std::string config_file, workspace, log_level;
  int workers = 0;
  bool verbose = false;
  app.add_option("--config", config_file, "TOML configuration file (also DOCPIPE_CONFIG)");
  app.add_option("--workspace", workspace, "workspace directory (default ./.docpipe, also DOCPIPE_WORKSPACE)");
  app.add_option("--log-level", log_level, "debug, info, warn or error");
  app.add_flag("-v,--verbose", verbose, "also print JSON log lines on stderr");
  // Document limits: a document over one FAILED at once, naming it.
  int64_t max_bytes = 0, max_pages = 0, max_chars = 0, max_chunks = 0;
  double max_expansion = 0;
  const char* kLimits = "Document limits (also [limits] and DOCPIPE_MAX_*)";
  app.add_option("--max-bytes", max_bytes, "largest source file, in bytes (default 512 MiB)")
      ->check(CLI::PositiveNumber)->group(kLimits);
  app.add_option("--max-pages", max_pages, "most pages in one document (default 10000)")
      ->check(CLI::PositiveNumber)->group(kLimits);
  app.add_option("--max-chars", max_chars, "most characters extracted from one document (default 20000000)")
      ->check(CLI::PositiveNumber)->group(kLimits);
  app.add_option("--max-chunks", max_chunks, "most chunks of one document (default 20000)")
      ->check(CLI::PositiveNumber)->group(kLimits);
  app.add_option("--max-expansion-ratio", max_expansion,
                 "most characters extracted per source byte, past 1 M characters (default 100)")
      ->check(CLI::Range(1.0, 1e9))->group(kLimits);

  IngestOptions ingest;
  CLI::App* ingest_cmd = app.add_subcommand("ingest", "register documents and process them until done");
  ingest_cmd->add_option("paths", ingest.paths, "files or folders (recursive)")->required();
  ingest_cmd->add_option("--workers", workers, "worker threads (default 2, also DOCPIPE_WORKERS)")->check(CLI::Range(1, 256));
  ingest_cmd->add_flag("--json", ingest.json, "print a JSON summary instead of text");
  bool redact_pii = false;
  ingest_cmd->add_flag("--redact-pii", redact_pii, "replace PII by [TYPE] in what is embedded and indexed");

  WorkerOptions worker;
  CLI::App* worker_cmd = app.add_subcommand("worker", "process queued documents until stopped");
  worker_cmd->add_flag("--drain", worker.drain, "exit once the queue is empty");
  worker_cmd->add_option("--concurrency,--workers", workers, "worker threads")->check(CLI::Range(1, 256));
  worker_cmd->add_option("--health-file", worker.health_file,
                         "touch this file about once a second while running (for `docpipe health --file`)");

  StatusOptions status;
  CLI::App* status_cmd = app.add_subcommand("status", "show control records (latest version of each document)");
  status_cmd->add_option("document_id", status.document_id, "one document (all its versions)");
  status_cmd->add_option("--status", status.status, "only records with this status");
  status_cmd->add_flag("--all-versions", status.all_versions, "every version, not just the latest");
  status_cmd->add_flag("--json", status.json, "JSON array of control records");

  std::string audit_id;
  bool audit_json = false;
  CLI::App* audit_cmd = app.add_subcommand("audit", "show the audit trail of a document");
  audit_cmd->add_option("document_id", audit_id, "document id")->required();
  audit_cmd->add_flag("--json", audit_json, "JSON array of audit events");

  RetryOptions retry;
  bool no_wait = false;
  CLI::App* retry_cmd = app.add_subcommand("retry", "requeue failed documents and process them");
  retry_cmd->add_option("document_ids", retry.document_ids, "documents to retry");
  retry_cmd->add_flag("--failed", retry.all_failed, "every failed document");
  retry_cmd->add_flag("--no-wait", no_wait, "only requeue; leave processing to workers");
  retry_cmd->add_option("--workers", workers, "worker threads")->check(CLI::Range(1, 256));
  retry_cmd->add_flag("--json", retry.json, "JSON summary");

  std::string metrics_date;
  bool metrics_json = false;
  CLI::App* metrics_cmd = app.add_subcommand("metrics", "daily figures: documents, pages, chunks, stage p50/p95");
  metrics_cmd->add_option("--date", metrics_date, "YYYY-MM-DD (default: every day)");
  metrics_cmd->add_flag("--json", metrics_json, "JSON array");

  SearchCommandOptions search;
  CLI::App* search_cmd = app.add_subcommand("search", "hybrid (dense + BM25) search over the ingested chunks");
  search_cmd->add_option("query", search.query, "what to look for")->required();
  search_cmd->add_option("-k", search.k, "number of results (default 5)")->check(CLI::Range(1, 1000));
  search_cmd->add_option("--doc", search.document_id, "only this document");
  search_cmd->add_option("--mode", search.mode, "hybrid (default), vector or keyword");
  search_cmd->add_flag("--json", search.json, "JSON array of results");

  std::vector<std::string> delete_ids;
  bool delete_json = false;
  CLI::App* delete_cmd = app.add_subcommand("delete", "remove documents everywhere (index, store, control table)");
  delete_cmd->add_option("document_ids", delete_ids, "documents to delete")->required();
  delete_cmd->add_flag("--json", delete_json, "JSON report");

  bool provision_json = false;
  CLI::App* provision_cmd = app.add_subcommand(
      "provision", "create the configured bucket, tables and queues when absent (aws backend; development and tests)");
  provision_cmd->add_flag("--json", provision_json, "JSON report");
  bool provision_plan = false;  // for the CloudFormation tests: print, create nothing
  provision_cmd->add_flag("--print-plan", provision_plan)->group("");

  LambdaCommandOptions lambda;
  CLI::App* lambda_cmd = app.add_subcommand(
      "lambda", "AWS Lambda custom runtime (bootstrap): register the objects of S3 ObjectCreated events");
  lambda_cmd->add_option("--event", lambda.event_file, "handle this S3 event JSON file once and print the summary");
  lambda_cmd->add_option("--bucket", lambda.bucket,
                         "the store's bucket; records of other buckets fail (default: S3_BUCKET, else any)");
  lambda_cmd->add_option("--max-invocations", lambda.max_invocations, "stop after N invocations (tests)")
      ->check(CLI::Range(0, 1 << 30));

  ServeOptions serve;
  std::string serve_bind;
  int serve_port = -1;
  int64_t head_interval_s = 0;
  CLI::App* serve_cmd = app.add_subcommand("serve", "the head service: HTTP API, stuck-lease requeue, daily rollup");
  serve_cmd->add_option("--bind", serve_bind, "listen address (default 127.0.0.1, also DOCPIPE_API_BIND)");
  serve_cmd->add_option("--port", serve_port, "listen port (default 8265, also DOCPIPE_API_PORT; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--head-interval", head_interval_s,
                        "seconds between runs of the head duties (default 60, also DOCPIPE_HEAD_INTERVAL_SECONDS)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve_cmd->add_flag("--insecure-no-auth", serve.insecure_no_auth,
                      "serve without a bearer token when none is configured (never in production)");
  serve_cmd->add_flag("--once", serve.once, "run the head duties once, print a JSON report and exit (no HTTP)");
  bool secure_cookies = false, no_workers = false;
  std::vector<std::string> trusted_proxies;
  serve_cmd->add_flag("--secure-cookies", secure_cookies,
                      "mark the dashboard's session cookie Secure (the server is reached over TLS only)");
  serve_cmd->add_option("--trusted-proxy", trusted_proxies,
                        "IP address of a TLS proxy whose X-Forwarded-Proto is believed (repeatable; also "
                        "DOCPIPE_TRUSTED_PROXIES)");
  serve_cmd->add_flag("--no-workers", no_workers,
                      "embedded backend: do not process documents in this process (another runs `worker`)");

  WatchOptions watch;
  CLI::App* watch_cmd = app.add_subcommand(
      "watch", "register and process the files that arrive in a folder (inotify), until stopped");
  watch_cmd->add_option("folder", watch.folder, "the folder to watch (recursively)")->required();
  watch_cmd->add_option("--settle-ms", watch.settle_ms,
                        "a closed file must keep its size and time this long before it is taken (default 1000)")
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}));
  bool watch_no_existing = false;
  watch_cmd->add_flag("--no-existing", watch_no_existing, "only files that arrive from now on");
  watch_cmd->add_option("--workers", workers, "worker threads")->check(CLI::Range(1, 256));

  HealthOptions health;
  CLI::App* health_cmd = app.add_subcommand("health", "container health check: the head's /healthz, or a worker's heartbeat file");
  health_cmd->add_option("--url", health.url, "GET this URL; healthy on HTTP 200 (default http://127.0.0.1:8265/healthz)");
  health_cmd->add_option("--timeout-seconds", health.timeout_seconds, "for --url (default 3)")
      ->check(CLI::Range(int64_t{1}, int64_t{300}));
  CLI::Option* health_file = health_cmd->add_option("--file", health.file, "check this heartbeat file (worker --health-file) instead");
  health_cmd->add_option("--max-age-seconds", health.max_age_seconds, "for --file: healthy when touched this recently (default 60)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}))
      ->needs(health_file);
  health_file->excludes("--url");

  std::string encoding = "cl100k_base";
  bool token_count = false;
  CLI::App* tokenize_cmd = app.add_subcommand("tokenize", "print the OpenAI token ids of standard input");
  tokenize_cmd->add_option("--encoding", encoding, "cl100k_base (default) or o200k_base");
  tokenize_cmd->add_flag("--count", token_count, "print only the number of tokens");

  // A command's --help lists only its own options; say where the rest are.
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer("Global options (before or after the command): --config FILE, --workspace DIR, "
                "--log-level LEVEL, -v/--verbose. See docpipe --help.");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  // Needs no configuration or workspace.
  if (tokenize_cmd->parsed()) return RunTokenize(encoding, token_count, std::cin, std::cout, std::cerr);
  if (health_cmd->parsed()) return RunHealth(health, std::cerr);
  if (retry_cmd->parsed() && retry.document_ids.empty() && !retry.all_failed) {
    std::cerr << "docpipe retry: name document ids or use --failed\n";
    return kExitUsage;
  }
  retry.wait = !no_wait;

  const Environment env = ProcessEnvironment();
  if (lambda_cmd->parsed() && !CheckLambdaEnvironment(lambda, env)) return kExitUsage;
  // Inside Lambda a failure to start is also posted to the Runtime API (init/error).
  auto start_failed = [&](const std::string& message, int code) {
    std::cerr << message << "\n";
    if (lambda_cmd->parsed()) ReportLambdaInitError(lambda, env, message);
    return code;
  };
  Result<Config> loaded = LoadConfig(config_file, env);
  if (!loaded.ok()) return start_failed("docpipe: configuration: " + loaded.status().message(), kExitUsage);
  Config config = std::move(*loaded);
  if (!workspace.empty()) config.workspace = workspace;
  if (!log_level.empty()) config.log_level = log_level;
  if (workers > 0) config.workers = workers;
  if (verbose) config.log_stderr = true;
  if (redact_pii) config.redact_pii = true;
  if (max_bytes > 0) config.limits.max_bytes = max_bytes;
  if (max_pages > 0) config.limits.max_pages = max_pages;
  if (max_chars > 0) config.limits.max_chars = max_chars;
  if (max_chunks > 0) config.limits.max_chunks = max_chunks;
  if (max_expansion > 0) config.limits.max_expansion_ratio = max_expansion;
  if (!serve_bind.empty()) config.serve.bind = serve_bind;
  if (serve_port >= 0) config.serve.port = serve_port;
  if (head_interval_s > 0) config.serve.head_interval_ms = head_interval_s * 1000;
  if (secure_cookies) config.serve.secure_cookies = true;
  if (!trusted_proxies.empty()) config.serve.trusted_proxies = trusted_proxies;
  if (no_workers) config.serve.process = false;
  if (lambda_cmd->parsed()) AdaptConfigForLambda(lambda, config);
  // The stack's roles bound the AWS calls of the processes that run under them.
  if (worker_cmd->parsed()) config.iam_role = "worker";
  if (serve_cmd->parsed()) config.iam_role = "head";
  if (Status valid = ValidateConfig(config); !valid.ok()) {
    return start_failed("docpipe: configuration: " + valid.message(), kExitUsage);
  }

  // Creates what Storage::Open would look up (the queue URLs).
  if (provision_cmd->parsed()) return provision_plan ? PrintProvisionPlan(config) : RunProvision(config, env, provision_json);

  // Each command opens only what it uses: the storage always; the embedder
  // and index (Retrieval) on first use; the stages (Processing) for the
  // commands that process documents.
  auto cannot_open = [&](const Status& st) {
    return start_failed("docpipe: cannot open workspace " + config.workspace + ": " + st.message(),
                        st.code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed);
  };
  Result<std::unique_ptr<Storage>> opened = Storage::Open(config, DefaultWorkerId(), env);
  if (!opened.ok()) return cannot_open(opened.status());
  Storage& storage = **opened;
  // The read-only listings open their one table; everything else the whole storage.
  if (status_cmd->parsed()) {
    Result<ControlTable*> control = storage.control();
    return control.ok() ? RunStatus(**control, status) : cannot_open(control.status());
  }
  if (audit_cmd->parsed()) {
    Result<AuditLog*> audit = storage.audit();
    return audit.ok() ? RunAudit(**audit, audit_id, audit_json) : cannot_open(audit.status());
  }
  if (metrics_cmd->parsed()) {
    Result<MetricsTable*> metrics = storage.metrics();
    return metrics.ok() ? RunMetrics(**metrics, metrics_date, metrics_json) : cannot_open(metrics.status());
  }
  Retrieval retrieval(storage);
  if (search_cmd->parsed()) return RunSearchCommand(retrieval, search);
  if (Status st = storage.OpenAll(); !st.ok()) return cannot_open(st);
  std::unique_ptr<Processing> processing;
  // serve processes documents itself in the embedded shape (not with --once
  // or --no-workers).
  const bool serve_processes = serve_cmd->parsed() && !serve.once && config.serve.process &&
                               config.backend == Backend::kEmbedded;
  if (ingest_cmd->parsed() || worker_cmd->parsed() || watch_cmd->parsed() || serve_processes ||
      (retry_cmd->parsed() && retry.wait)) {
    Result<std::unique_ptr<Processing>> p = Processing::Open(storage, retrieval);
    if (!p.ok()) return cannot_open(p.status());
    processing = std::move(*p);
  }
  InstallSignalHandlers();
  if (ingest_cmd->parsed()) return RunIngest(storage, *processing, ingest, g_shutdown);
  if (worker_cmd->parsed()) return RunWorker(storage, *processing, worker, g_shutdown);
  if (retry_cmd->parsed()) return RunRetry(storage, processing.get(), retry, g_shutdown);
  if (delete_cmd->parsed()) return RunDelete(storage, retrieval, delete_ids, delete_json);
  if (lambda_cmd->parsed()) return RunLambda(storage, lambda, env, g_shutdown);
  if (serve_cmd->parsed()) return RunServe(storage, retrieval, processing.get(), serve, g_shutdown);
  if (watch_cmd->parsed()) {
    watch.existing = !watch_no_existing;
    return RunWatch(storage, *processing, watch, g_shutdown);
  }
  return kExitUsage;
}
