#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "embed/embedder.h"
#include "index/vector_index.h"
#include "pipeline/event_recorder.h"
#include "pipeline/registrar.h"
#include "pipeline/services.h"
#include "serve/dashboard.h"
#include "serve/head_duties.h"
#include "serve/http_message.h"
#include "serve/session.h"

namespace docpipe {

// How the dashboard behaves (docs/dashboard.md, "Access").
struct DashboardOptions {
  //! Session cookies carry Secure (and the __Host- prefix) on every answer:
  //! `serve --secure-cookies`, for a server reached only over TLS.
  bool secure_cookies = false;
  //! Peers (IP addresses) whose X-Forwarded-Proto is believed: behind such a
  //! TLS-terminating proxy, "https" makes the cookie Secure.
  std::vector<std::string> trusted_proxies;
  int64_t session_ttl_ms = 12 * 3600 * 1000;
  int64_t max_upload_bytes = 256LL << 20;
  std::string backend = "local";
  //! Uploads go straight to the object store through presigned PUTs (AWS);
  //! otherwise the server takes the bytes (POST /api/uploads).
  bool presigned_uploads = false;
  //! The origin presigned PUTs go to ("https://bucket.s3.region.amazonaws.com"),
  //! allowed by the Content-Security-Policy's connect-src.
  std::string upload_origin;
  //! Where direct uploads are written before registration.
  std::string scratch_dir;
};

// What the handlers use; all owned elsewhere (Storage, Retrieval), all thread-safe.
struct ApiContext {
  Services& services;
  EventRecorder& events;  // RETRY_SCHEDULED of POST .../retry
  Embedder& embedder;
  VectorIndex& index;
  HeadDuties& head;                 // its totals on /metrics
  Registrar* registrar = nullptr;   // direct uploads; null refuses them
  DashboardOptions dashboard = {};
};

// The head service's HTTP API and dashboard (README "Head service",
// docs/dashboard.md): routing, authentication (bearer token, or the session
// cookie of a dashboard login), CSRF checks, security headers, parameter
// checks, JSON errors, one log line and one count per request. Knows no HTTP
// library: the server adapter hands it ApiRequests. Thread-safe.
class HttpApi {
 public:
  //! `token`: the bearer token every route but /healthz and the login page
  //! require; "" turns auth off (`--insecure-no-auth`).
  HttpApi(ApiContext context, std::string token);

  ApiResponse Handle(const ApiRequest& request);

 public:
  struct Route;  // a request's route (http_api.cpp)

 private:
  // Who a request comes from.
  enum class Caller { kNobody, kBearer, kSession, kAnonymous };

  ApiResponse Dispatch(const ApiRequest& request, const Route& route, Caller caller,
                       const std::optional<Session>& session);
  ApiResponse Healthz();
  ApiResponse Asset(const std::string& path, bool secure);
  ApiResponse Login(const ApiRequest& request, bool secure);
  ApiResponse SessionInfo(const std::optional<Session>& session, Caller caller);
  ApiResponse Logout(const std::optional<Session>& session, bool secure);
  ApiResponse ListDocuments(const ApiRequest& request);
  ApiResponse GetDocument(const std::string& id, const ApiRequest& request);
  ApiResponse GetAudit(const std::string& id, const ApiRequest& request);
  ApiResponse GetPages(const std::string& id, const ApiRequest& request);
  ApiResponse GetChunks(const std::string& id, const ApiRequest& request);
  ApiResponse Retry(const std::string& id);
  ApiResponse Search(const ApiRequest& request);
  ApiResponse Overview();
  ApiResponse Throughput(const ApiRequest& request);
  ApiResponse Upload(const ApiRequest& request);
  ApiResponse Presign(const ApiRequest& request);
  ApiResponse Metrics();
  bool BearerAuthorized(const std::string& authorization) const;
  bool Secure(const ApiRequest& request) const;
  std::string CookieName(bool secure) const;
  std::string SetCookie(bool secure, const std::string& value, int64_t max_age_s) const;
  void AddSecurityHeaders(ApiResponse& response, bool secure) const;
  void CountRequest(const std::string& method, const std::string& route, int status);

  ApiContext ctx_;
  const std::string token_digest_;  // SHA-256 of the token; "" = no auth
  SessionKeeper sessions_;
  DashboardQueries queries_;
  std::string anonymous_csrf_;  // --insecure-no-auth: the one CSRF token
  std::mutex mu_;               // guards requests_
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;  // (method, route, status) -> count
};

}  // namespace docpipe
