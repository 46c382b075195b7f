#include "cli/serve_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "common/periodic_task.h"
#include "common/strings.h"
#include "serve/head_duties.h"
#include "serve/http_api.h"
#include "serve/http_server.h"

namespace docpipe {
namespace {

constexpr const char* kTokenVariable = "DOCPIPE_API_TOKEN";

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

int RunServe(Storage& storage, Retrieval& retrieval, const ServeOptions& options, const ShutdownSignal& signal) {
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
  HttpApi api({sv, storage.events(), **embedder, **index, duties}, bearer);
  Result<std::unique_ptr<HttpServer>> server =
      LoadHttpServer(settings.bind, settings.port, [&api](const ApiRequest& r) { return api.Handle(r); });
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
                                   {"backend", ChoiceName(storage.config().backend)}});
  std::cerr << "docpipe serve: listening on http://" << settings.bind << ":" << http.port() << "\n";
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
  }  // the head loop ends after its current run
  sv.logger.Info("serve_stopped", {{"port", http.port()}, {"ok", server_ok.load()}});
  if (rc == kExitFailed) std::cerr << "docpipe serve: the HTTP server stopped unexpectedly\n";
  return rc;
}

}  // namespace docpipe
