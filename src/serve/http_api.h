#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "embed/embedder.h"
#include "index/vector_index.h"
#include "pipeline/event_recorder.h"
#include "pipeline/services.h"
#include "serve/head_duties.h"

namespace docpipe {

// One HTTP request as the API sees it, independent of the server library.
struct ApiRequest {
  std::string method;                         // "GET", "POST", ...
  std::string path;                           // percent-decoded, without the query
  std::map<std::string, std::string> params;  // query parameters, decoded
  std::string authorization;                  // the Authorization header; "" when absent
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// What the handlers use; all owned elsewhere (the Runtime), all thread-safe.
struct ApiContext {
  Services& services;
  EventRecorder& events;  // RETRY_SCHEDULED of POST .../retry
  Embedder& embedder;
  VectorIndex& index;
  HeadDuties& head;  // its totals on /metrics
};

// The head service's HTTP API (README "Head service"): routing, bearer-token
// auth, parameter checks, JSON errors, one log line and one count per
// request. Backend-agnostic: it only talks to the ports. Thread-safe.
class HttpApi {
 public:
  //! `token`: the bearer token every route but /healthz requires; "" turns
  //! auth off (`--insecure-no-auth`).
  HttpApi(ApiContext context, std::string token);

  ApiResponse Handle(const ApiRequest& request);

 private:
  // Everything but the log line and the count.
  ApiResponse Dispatch(const ApiRequest& request, const std::string& route, const std::string& id);
  ApiResponse Healthz();
  ApiResponse ListDocuments(const ApiRequest& request);
  ApiResponse GetDocument(const std::string& id, const ApiRequest& request);
  ApiResponse GetAudit(const std::string& id);
  ApiResponse Retry(const std::string& id);
  ApiResponse Search(const ApiRequest& request);
  ApiResponse Metrics();
  bool Authorized(const std::string& authorization) const;
  void CountRequest(const std::string& method, const std::string& route, int status);

  ApiContext ctx_;
  const std::string token_digest_;  // SHA-256 of the token; "" = no auth
  std::mutex mu_;                   // guards requests_
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;  // (method, route, status) -> count
};

}  // namespace docpipe
