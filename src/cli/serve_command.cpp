#include "cli/serve_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "common/periodic_task.h"
#include "common/strings.h"
#include "pipeline/worker_pool.h"
#include "serve/head_duties.h"
#include "serve/http_api.h"
#include "serve/http_server.h"

namespace docpipe {
namespace {

constexpr const char* kTokenVariable = "DOCPIPE_API_TOKEN";

// "https://bucket.s3.region.amazonaws.com" of the store's presigned URLs
// (the Content-Security-Policy lets the dashboard PUT there); "" when the
// store presigns nothing.
std::string PresignedUploadOrigin(ObjectStore& store) {
  Result<PresignedUpload> probe = store.PresignPut("input/docpipe-origin-probe.txt", "", 60);
  if (!probe.ok()) return "";
  const std::string& url = probe->url;
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  return url.substr(0, url.find('/', scheme + 3));
}

}  // namespace

bool IsLoopbackAddress(const std::string& bind) {
  if (bind == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, bind.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  std::string v6 = bind;
  if (v6.size() >= 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
  in6_addr a{};
  if (inet_pton(AF_INET6, v6.c_str(), &a) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
  return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
}

int RunServe(Storage& storage, Retrieval& retrieval, Processing* processing, const ServeOptions& options,
             const ShutdownSignal& signal) {
  Services& sv = storage.services();
  const ServeSettings& settings = storage.config().serve;
  HeadOptions head_options;
  head_options.grace_ms = storage.config().lease_ms;  // the queue's visibility timeout
  HeadDuties duties(sv, storage.events(), head_options);
  if (options.once) {
    Result<RequeueReport> requeue = duties.RequeueStuck();
    Result<RollupReport> rollup = duties.RollUp();
    nlohmann::json out = nlohmann::json::object();
    out["requeue"] = requeue.ok() ? ToJson(*requeue) : nlohmann::json{{"error", requeue.status().ToString()}};
    out["rollup"] = rollup.ok() ? ToJson(*rollup) : nlohmann::json{{"error", rollup.status().ToString()}};
    std::cout << out.dump(2) << "\n";
    return requeue.ok() && rollup.ok() && requeue->errors == 0 ? kExitOk : kExitFailed;
  }

  // An open API on an address others can reach is never what anyone wants.
  if (options.insecure_no_auth && !IsLoopbackAddress(settings.bind)) {
    std::cerr << "docpipe serve: --insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1, "
                 "localhost), not on "
              << TerminalSafe(settings.bind) << ": set DOCPIPE_API_TOKEN instead\n";
    return kExitUsage;
  }
  // Error messages name the variables, never the value.
  Result<std::string> token = storage.Secret(kTokenVariable);
  std::string bearer;
  if (token.ok()) {
    bearer = std::move(*token);
  } else if (!token.status().IsNotFound()) {
    std::cerr << "docpipe serve: cannot read the API token: " << token.status().message() << "\n";
    return kExitFailed;
  } else if (!options.insecure_no_auth) {
    std::cerr << "docpipe serve: no API token: set DOCPIPE_API_TOKEN or DOCPIPE_API_TOKEN_SECRET_ARN "
                 "(or pass --insecure-no-auth to serve without authentication)\n";
    return kExitUsage;
  } else {
    sv.logger.Warn("serve_insecure_no_auth", {{"bind", settings.bind}, {"port", settings.port}});
    std::cerr << "docpipe serve: WARNING: no API token; every endpoint is open (--insecure-no-auth)\n";
  }

  // The search endpoint's embedder and index.
  Result<Embedder*> embedder = retrieval.embedder();
  if (!embedder.ok()) {
    std::cerr << "docpipe serve: " << embedder.status().message() << "\n";
    return kExitFailed;
  }
  Result<VectorIndex*> index = retrieval.index();
  if (!index.ok()) {
    std::cerr << "docpipe serve: " << index.status().message() << "\n";
    return kExitFailed;
  }
  // Once before serving, so /metrics has the rollup from the first request on.
  duties.RunOnce();
  const Config& config = storage.config();
  const bool aws = config.backend == Backend::kAws;
  DashboardOptions dashboard;
  dashboard.secure_cookies = settings.secure_cookies;
  dashboard.trusted_proxies = settings.trusted_proxies;
  dashboard.max_upload_bytes = settings.max_upload_mb << 20;
  dashboard.backend = ChoiceName(config.backend);
  dashboard.presigned_uploads = aws;
  if (aws) dashboard.upload_origin = PresignedUploadOrigin(sv.store);
  dashboard.scratch_dir = config.workspace + "/tmp";
  HttpApi api({sv, storage.events(), **embedder, **index, duties, &storage.registrar(), dashboard}, bearer);
  // The embedded shape has no other workers: uploads, retries and `watch`ed
  // files are processed here (the AWS shape's run on ECS).
  std::unique_ptr<WorkerPool> workers;
  if (processing != nullptr) {
    workers = std::make_unique<WorkerPool>(sv, processing->processor(),
                                           WorkerPoolOptionsOf(storage, config.EffectivePollWaitMs()));
    workers->Start();
  }
  // Bodies beyond the upload limit (and 1 MiB of slack for JSON) are refused unread.
  HttpServerLimits limits;
  limits.max_body_bytes = dashboard.max_upload_bytes + (1 << 20);
  limits.max_header_bytes = config.serve.http_max_header_bytes;
  limits.header_timeout_ms = config.serve.http_header_timeout_ms;
  limits.idle_timeout_ms = config.serve.http_idle_timeout_ms;
  limits.max_requests_per_connection = config.serve.http_max_requests_per_connection;
  limits.max_connections = config.serve.http_max_connections;
  limits.max_connections_per_ip = config.serve.http_max_connections_per_client;
  limits.threads = config.serve.http_threads;
  Result<std::unique_ptr<HttpServer>> server = LoadHttpServer(
      settings.bind, settings.port, [&api](const ApiRequest& r) { return api.Handle(r); }, limits);
  if (!server.ok()) {
    std::cerr << "docpipe serve: " << server.status().message() << "\n";
    return kExitFailed;
  }
  HttpServer& http = **server;
  std::atomic<bool> server_done{false};
  std::atomic<bool> server_ok{true};
  std::thread server_thread([&] {
    server_ok = http.Run();
    server_done = true;
  });
  sv.logger.Info("serve_started", {{"bind", settings.bind},
                                   {"port", http.port()},
                                   {"auth", !bearer.empty()},
                                   {"head_interval_ms", settings.head_interval_ms},
                                   {"backend", ChoiceName(config.backend)},
                                   {"workers", workers ? config.workers : 0}});
  std::cerr << "docpipe serve: listening on http://" << settings.bind << ":" << http.port()
            << " (dashboard: http://" << (settings.bind == "0.0.0.0" ? "127.0.0.1" : settings.bind) << ":"
            << http.port() << "/)\n";
  int rc = kExitOk;
  {
    // The head duties every interval, timed by the storage's clock.
    PeriodicTask head(storage.clock(), settings.head_interval_ms, [&duties] { duties.RunOnce(); });
    while (signal.count.load() == 0 && !server_done) storage.clock().SleepMs(100);
    rc = server_done ? kExitFailed : kExitInterrupted;
    // Stop() before the server has started listening does nothing: repeat
    // until Run() has returned. Requests in progress finish first.
    while (!server_done) {
      http.Stop();
      storage.clock().SleepMs(50);
    }
    server_thread.join();
    if (workers) {
      // Documents in progress finish (a second signal would have to wait).
      workers->StopReceiving();
      workers->Join();
    }
  }  // the head loop ends after its current run
  sv.logger.Info("serve_stopped", {{"port", http.port()}, {"ok", server_ok.load()}});
  if (rc == kExitFailed) std::cerr << "docpipe serve: the HTTP server stopped unexpectedly\n";
  return rc;
}

}  // namespace docpipe
