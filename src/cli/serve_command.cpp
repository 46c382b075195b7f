#include "cli/serve_command.h"

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "pipeline/worker_pool.h"
#include "serve/head_duties.h"
#include "serve/http_api.h"
#include "serve/http_server.h"

namespace docpipe {
namespace {

constexpr const char* kTokenVariable = "DOCPIPE_API_TOKEN";

// Runs the head duties every `interval` until destroyed.
class HeadLoop {
 public:
  HeadLoop(HeadDuties& duties, std::chrono::milliseconds interval)
      : thread_([this, &duties, interval] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
            lock.unlock();
            duties.RunOnce();
            lock.lock();
          }
        }) {}
  ~HeadLoop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

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

int RunServe(Runtime& rt, const ServeOptions& options, const Environment& env, const ShutdownSignal& signal) {
  Services& sv = rt.services();
  const ServeSettings& settings = rt.config().serve;
  HeadOptions head_options;
  head_options.grace_ms = rt.config().lease_ms;  // the queue's visibility timeout
  HeadDuties duties(sv, rt.events(), head_options);
  if (options.once) {
    Result<RequeueReport> requeue = duties.RequeueStuck();
    Result<RollupReport> rollup = duties.RollUp();
    nlohmann::json out = nlohmann::json::object();
    out["requeue"] = requeue.ok() ? ToJson(*requeue) : nlohmann::json{{"error", requeue.status().ToString()}};
    out["rollup"] = rollup.ok() ? ToJson(*rollup) : nlohmann::json{{"error", rollup.status().ToString()}};
    std::cout << out.dump(2) << "\n";
    return requeue.ok() && rollup.ok() && requeue->errors == 0 ? kExitOk : kExitFailed;
  }

  // Error messages name the variables, never the value.
  Result<std::string> token = rt.ApiKey(kTokenVariable, env);
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

  // Once before serving, so /metrics has the rollup from the first request on.
  duties.RunOnce();
  const bool aws = rt.config().backend == "aws";
  DashboardOptions dashboard;
  dashboard.secure_cookies = settings.secure_cookies;
  dashboard.trusted_proxies = settings.trusted_proxies;
  dashboard.max_upload_bytes = settings.max_upload_mb << 20;
  dashboard.backend = rt.config().backend;
  dashboard.presigned_uploads = aws;
  if (aws) dashboard.upload_origin = PresignedUploadOrigin(sv.store);
  dashboard.scratch_dir = rt.config().workspace + "/tmp";
  HttpApi api({sv, rt.events(), rt.embedder(), rt.index(), duties, &rt.registrar(), dashboard}, bearer);
  // The embedded shape has no other workers: uploads, retries and `watch`ed
  // files are processed here (the AWS shape's run on ECS).
  std::unique_ptr<WorkerPool> workers;
  if (!aws && settings.process) {
    WorkerPoolOptions po;
    po.threads = rt.config().workers;
    po.visibility_ms = rt.config().lease_ms;
    po.wait_ms = rt.config().EffectivePollWaitMs();
    po.worker_id = rt.events().worker_id();
    workers = std::make_unique<WorkerPool>(sv, rt.processor(), po);
    workers->Start();
  }
  // Bodies beyond the upload limit (and 1 MiB of slack for JSON) are refused unread.
  Result<std::unique_ptr<HttpServer>> server =
      BindHttpServer(settings.bind, settings.port, api, dashboard.max_upload_bytes + (1 << 20));
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
                                   {"backend", rt.config().backend},
                                   {"workers", workers ? rt.config().workers : 0}});
  std::cerr << "docpipe serve: listening on http://" << settings.bind << ":" << http.port()
            << " (dashboard: http://" << (settings.bind == "0.0.0.0" ? "127.0.0.1" : settings.bind) << ":"
            << http.port() << "/)\n";
  int rc = kExitOk;
  {
    HeadLoop head(duties, std::chrono::milliseconds(settings.head_interval_ms));
    while (signal.count.load() == 0 && !server_done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rc = server_done ? kExitFailed : kExitInterrupted;
    // Stop() before the server has started listening does nothing: repeat
    // until Run() has returned. Requests in progress finish first.
    while (!server_done) {
      http.Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
