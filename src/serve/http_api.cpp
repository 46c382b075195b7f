#include "serve/http_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "app/document_queries.h"
#include "common/hash.h"
#include "pipeline/metrics.h"
#include "search/search.h"
#include "serve/uploads.h"
#include "serve/web_assets.h"

namespace docpipe {
namespace {

// Route templates: what logs and request counts name (bounded cardinality).
constexpr const char* kHealthz = "/healthz";
constexpr const char* kMetricsRoute = "/metrics";
constexpr const char* kIndexPage = "/";
constexpr const char* kLoginPage = "/login";
constexpr const char* kAssets = "/assets/{file}";
constexpr const char* kSession = "/api/session";
constexpr const char* kOverview = "/api/overview";
constexpr const char* kThroughput = "/api/throughput";
constexpr const char* kDocuments = "/api/documents";
constexpr const char* kDocument = "/api/documents/{id}";
constexpr const char* kAudit = "/api/documents/{id}/audit";
constexpr const char* kPages = "/api/documents/{id}/pages";
constexpr const char* kChunks = "/api/documents/{id}/chunks";
constexpr const char* kRetry = "/api/documents/{id}/retry";
constexpr const char* kSearch = "/api/search";
constexpr const char* kUploads = "/api/uploads";
constexpr const char* kPresign = "/api/uploads/presign";
constexpr const char* kUnmatched = "unmatched";

constexpr int kMaxK = 1000;  // as `docpipe search -k`
constexpr int kMaxIds = 200;  // ids= of the documents list (the upload page's files)
constexpr int kDefaultChunkPage = 20;   // at most kMaxChunkPage (index/vector_index.h)
constexpr int kDefaultAuditPage = 100;  // at most kMaxAuditPage (tables/tables.h)
constexpr int64_t kPresignSeconds = 900;

ApiResponse Json(int status, const nlohmann::json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  return r;
}

ApiResponse Error(int status, const std::string& message) { return Json(status, {{"error", message}}); }

// A failed port call: NotFound 404, bad input 400, Conflict 409, anything
// else is the backend's trouble (503: retry later).
ApiResponse FromStatus(const Status& st) {
  switch (st.code()) {
    case Status::Code::kNotFound: return Error(404, st.message());
    case Status::Code::kInvalidInput: return Error(400, st.message());
    case Status::Code::kConflict: return Error(409, st.message());
    default: return Error(503, st.ToString());
  }
}

// Document ids are slugs plus hex digits; anything else cannot name one.
bool PlausibleDocumentId(const std::string& id) {
  if (id.empty() || id.size() > 256) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) out.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

Result<bool> BoolParam(const ApiRequest& req, const std::string& name) {
  auto it = req.params.find(name);
  if (it == req.params.end() || it->second.empty()) return false;
  const std::string& v = it->second;
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return Status::InvalidInput(fmt::format("{} must be true or false, not '{}'", name, v));
}

std::string Param(const ApiRequest& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? "" : it->second;
}

// An integer parameter in [lo, hi]; `fallback` when absent.
Result<int> IntParam(const ApiRequest& req, const std::string& name, int fallback, int lo, int hi) {
  const std::string v = Param(req, name);
  if (v.empty()) return fallback;
  int out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out < lo || out > hi) {
    return Status::InvalidInput(fmt::format("{} must be an integer between {} and {}", name, lo, hi));
  }
  return out;
}

bool IsJsonContentType(const std::string& content_type) {
  std::string ct = content_type.substr(0, content_type.find(';'));
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  return ct == "application/json";
}

// Prometheus text exposition format 0.0.4.
class PromWriter {
 public:
  void Family(const std::string& name, const char* type, const std::string& help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Sample(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels,
              double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first + "=\"" + Escape(labels[i].second) + '"';
      }
      out_ += '}';
    }
    out_ += fmt::format(" {}\n", value);
  }
  void Gauge(const std::string& name, const std::string& help, double value) {
    Family(name, "gauge", help);
    Sample(name, {}, value);
  }
  std::string Take() { return std::move(out_); }

 private:
  static std::string Escape(const std::string& v) {
    std::string out;
    for (char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }
  std::string out_;
};

}  // namespace

struct HttpApi::Route {
  std::string name = kUnmatched;  // the template
  std::string id;                 // the {id} it names
  std::string asset;              // the WebAsset path of page and asset routes
  std::vector<std::string> methods = {"GET"};
  bool is_public = false;  // served before login
  bool page = false;       // an HTML page: a visitor without a session is sent to /login
};

namespace {

HttpApi::Route MatchRoute(const std::string& path) {
  HttpApi::Route r;
  auto set = [&](const char* name, std::vector<std::string> methods = {"GET"}) {
    r.name = name;
    r.methods = std::move(methods);
  };
  if (path == "/healthz") {
    set(kHealthz);
    r.is_public = true;
  } else if (path == "/" || path == "/index.html") {
    set(kIndexPage);
    r.asset = "/index.html";
    r.page = true;
  } else if (path == "/login") {
    set(kLoginPage);
    r.asset = "/login.html";
    r.is_public = true;
  } else if (path.rfind("/assets/", 0) == 0 && path.find('/', 8) == std::string::npos && path.size() > 8) {
    set(kAssets);
    r.asset = path;
    const WebAsset* a = FindWebAsset(path);
    r.is_public = a == nullptr || a->public_asset;  // unknown assets are a public 404
  } else if (path == "/metrics") {
    set(kMetricsRoute);
  } else if (path == "/api/session") {
    set(kSession, {"GET", "POST", "DELETE"});
  } else if (path == "/api/overview") {
    set(kOverview);
  } else if (path == "/api/throughput") {
    set(kThroughput);
  } else if (path == "/api/search") {
    set(kSearch);
  } else if (path == "/api/uploads") {
    set(kUploads, {"POST"});
  } else if (path == "/api/uploads/presign") {
    set(kPresign, {"POST"});
  } else {
    std::vector<std::string> s = Segments(path);
    if (s.size() >= 2 && s[0] == "api" && s[1] == "documents" && path.back() != '/') {
      if (s.size() == 2) set(kDocuments);
      if (s.size() == 3) set(kDocument), r.id = s[2];
      if (s.size() == 4 && s[3] == "audit") set(kAudit), r.id = s[2];
      if (s.size() == 4 && s[3] == "pages") set(kPages), r.id = s[2];
      if (s.size() == 4 && s[3] == "chunks") set(kChunks), r.id = s[2];
      if (s.size() == 4 && s[3] == "retry") set(kRetry, {"POST"}), r.id = s[2];
    }
  }
  return r;
}

std::string JoinMethods(const std::vector<std::string>& methods) {
  std::string out;
  for (const std::string& m : methods) out += (out.empty() ? "" : ", ") + m;
  return out;
}

}  // namespace

HttpApi::HttpApi(ApiContext context, std::string token)
    : ctx_(std::move(context)),
      token_digest_(token.empty() ? "" : Sha256Hex(token)),
      // Without a token, sessions are keyed by random bytes of this process.
      sessions_(token.empty() ? RandomBytes(32) : token, ctx_.services.clock, ctx_.dashboard.session_ttl_ms),
      queries_(ctx_.services),
      anonymous_csrf_(Base64UrlEncode(RandomBytes(24))) {}

bool HttpApi::BearerAuthorized(const std::string& authorization) const {
  if (token_digest_.empty()) return false;
  constexpr size_t kScheme = 7;  // "Bearer "
  if (authorization.size() <= kScheme) return false;
  std::string scheme = authorization.substr(0, kScheme);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer ") return false;
  // Digests have one length whatever the token's, so the comparison's time
  // says nothing about the token.
  return ConstantTimeEquals(Sha256Hex(authorization.substr(kScheme)), token_digest_);
}

bool HttpApi::Secure(const ApiRequest& request) const {
  if (ctx_.dashboard.secure_cookies) return true;
  const auto& proxies = ctx_.dashboard.trusted_proxies;
  if (request.remote_addr.empty() || std::find(proxies.begin(), proxies.end(), request.remote_addr) == proxies.end()) {
    return false;
  }
  std::string proto = request.Header("x-forwarded-proto");
  proto = proto.substr(0, proto.find(','));  // the first hop's
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
  return proto == "https";
}

// A Secure cookie takes the __Host- prefix: browsers then refuse it unless it
// came over TLS, for the whole host, with no Domain.
std::string HttpApi::CookieName(bool secure) const {
  return secure ? "__Host-docpipe_session" : "docpipe_session";
}

std::string HttpApi::SetCookie(bool secure, const std::string& value, int64_t max_age_s) const {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", CookieName(secure), value, max_age_s,
                     secure ? "; Secure" : "");
}

void HttpApi::AddSecurityHeaders(ApiResponse& r, bool secure) const {
  std::string connect = "'self'";
  if (ctx_.dashboard.presigned_uploads && !ctx_.dashboard.upload_origin.empty()) {
    connect += " " + ctx_.dashboard.upload_origin;
  }
  // No inline script or style anywhere (web/build.mjs), so none is allowed.
  r.headers.push_back({"Content-Security-Policy",
                       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                       "font-src 'self'; connect-src " + connect + "; form-action 'self'; frame-ancestors 'none'; "
                       "base-uri 'none'"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"Referrer-Policy", "no-referrer"});
  r.headers.push_back({"X-Frame-Options", "DENY"});
  r.headers.push_back({"Cross-Origin-Opener-Policy", "same-origin"});
  r.headers.push_back({"Cross-Origin-Resource-Policy", "same-origin"});
  r.headers.push_back({"Permissions-Policy", "camera=(), microphone=(), geolocation=()"});
  if (secure) r.headers.push_back({"Strict-Transport-Security", "max-age=31536000"});
  const bool cached = std::any_of(r.headers.begin(), r.headers.end(),
                                  [](const auto& h) { return h.first == "Cache-Control"; });
  if (!cached) r.headers.push_back({"Cache-Control", "no-store"});
}

ApiResponse HttpApi::Handle(const ApiRequest& request) {
  const TimeMs start = ctx_.services.clock.NowMs();
  const Route route = MatchRoute(request.path);
  const bool secure = Secure(request);

  // Who is asking: a bearer token (API clients), else the session cookie
  // (the dashboard), else nobody. Without a token everyone is let in.
  Caller caller = Caller::kNobody;
  std::optional<Session> session;
  if (token_digest_.empty()) {
    caller = Caller::kAnonymous;
  } else if (BearerAuthorized(request.Header("authorization"))) {
    caller = Caller::kBearer;
  } else {
    const std::string cookies = request.Header("cookie");
    std::string value = CookieValue(cookies, CookieName(secure));
    if (value.empty()) value = CookieValue(cookies, CookieName(!secure));
    if (!value.empty()) {
      session = sessions_.Verify(value);
      if (session) caller = Caller::kSession;
    }
  }
  const bool login = route.name == kSession && request.method == "POST";
  const bool changes_state = request.method != "GET" && request.method != "HEAD";

  ApiResponse response;
  if (!route.is_public && !login && caller == Caller::kNobody) {
    if (route.page && request.method == "GET") {
      response.status = 303;
      response.content_type = "text/plain; charset=utf-8";
      response.body = "sign in at /login\n";
      response.headers.push_back({"Location", "/login"});
    } else {
      response = Error(401, "missing or wrong bearer token (or no dashboard session)");
      response.headers.push_back({"WWW-Authenticate", "Bearer"});
    }
  } else if (route.name == kUnmatched) {
    response = Error(404, "no such endpoint");
  } else if (std::find(route.methods.begin(), route.methods.end(), request.method) == route.methods.end()) {
    response = Error(405, fmt::format("{} takes {} only", route.name, JoinMethods(route.methods)));
    response.headers.push_back({"Allow", JoinMethods(route.methods)});
  } else if (!route.id.empty() && !PlausibleDocumentId(route.id)) {
    response = Error(400, "malformed document id");
  } else if (changes_state && caller != Caller::kBearer && !login &&
             !ConstantTimeEquals(request.Header("x-csrf-token"),
                                 caller == Caller::kSession ? session->csrf_token : anonymous_csrf_)) {
    // A cookie goes with any request the browser makes, a custom header only
    // with the page's own: no state changes without the session's token.
    response = Error(403, "missing or wrong X-CSRF-Token (GET /api/session gives it)");
  } else {
    response = Dispatch(request, route, caller, session);
  }
  AddSecurityHeaders(response, secure);
  CountRequest(request.method, route.name, response.status);
  // The path only: query strings carry user text, and nothing here logs
  // the Authorization header, the cookie or the login body.
  nlohmann::json fields = {{"method", request.method},
                           {"path", request.path.substr(0, 512)},
                           {"route", route.name},
                           {"status", response.status},
                           {"duration_ms", ctx_.services.clock.NowMs() - start}};
  if (!route.id.empty() && PlausibleDocumentId(route.id)) fields["document_id"] = route.id;
  ctx_.services.logger.Log(response.status >= 500 ? LogLevel::kWarn : LogLevel::kInfo, "http_request",
                           std::move(fields));
  return response;
}

ApiResponse HttpApi::Dispatch(const ApiRequest& request, const Route& route, Caller caller,
                              const std::optional<Session>& session) {
  const std::string& r = route.name;
  const bool secure = Secure(request);
  if (r == kHealthz) return Healthz();
  if (r == kIndexPage || r == kLoginPage || r == kAssets) return Asset(route.asset, secure);
  if (r == kSession && request.method == "POST") return Login(request, secure);
  if (r == kSession && request.method == "DELETE") return Logout(session, secure);
  if (r == kSession) return SessionInfo(session, caller);
  if (r == kMetricsRoute) return Metrics();
  if (r == kOverview) return Overview();
  if (r == kThroughput) return Throughput(request);
  if (r == kDocuments) return ListDocuments(request);
  if (r == kDocument) return GetDocument(route.id, request);
  if (r == kAudit) return GetAudit(route.id, request);
  if (r == kPages) return GetPages(route.id, request);
  if (r == kChunks) return GetChunks(route.id, request);
  if (r == kRetry) return Retry(route.id);
  if (r == kSearch) return Search(request);
  if (r == kUploads) return Upload(request);
  if (r == kPresign) return Presign(request);
  return Error(404, "no such endpoint");
}

void HttpApi::CountRequest(const std::string& method, const std::string& route, int status) {
  // Methods outside the API's own are one label, so odd clients cannot grow the map.
  const std::string m = method == "GET" || method == "POST" || method == "DELETE" ? method : "other";
  std::lock_guard lock(mu_);
  ++requests_[{m, route, status}];
}

ApiResponse HttpApi::Healthz() {
  // One point read: NotFound is a healthy answer.
  Result<ControlRecord> probe = ctx_.services.control.Get("docpipe-healthz-probe", "000000");
  if (probe.ok() || probe.status().IsNotFound()) return Json(200, {{"status", "ok"}});
  return Json(503, {{"status", "unavailable"}, {"error", probe.status().ToString()}});
}

ApiResponse HttpApi::Asset(const std::string& path, bool) {
  const WebAsset* a = FindWebAsset(path);
  if (a == nullptr) return Error(404, "no such asset");
  ApiResponse r;
  r.content_type = std::string(a->content_type);
  r.body = std::string(a->data);
  if (a->immutable) r.headers.push_back({"Cache-Control", "public, max-age=31536000, immutable"});
  return r;
}

ApiResponse HttpApi::Login(const ApiRequest& request, bool secure) {
  // JSON only: a cross-site form cannot send it without a CORS preflight,
  // which this server never grants.
  if (!IsJsonContentType(request.Header("content-type"))) {
    return Error(415, "send the token as JSON: {\"token\": \"...\"} with Content-Type: application/json");
  }
  if (!token_digest_.empty()) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
      return Error(400, "the body must be {\"token\": \"...\"}");
    }
    if (!ConstantTimeEquals(Sha256Hex(body["token"].get<std::string>()), token_digest_)) {
      ctx_.services.logger.Warn("dashboard_login_failed", {{"remote_addr", request.remote_addr}});
      return Error(401, "wrong token");
    }
  }
  auto [cookie, session] = sessions_.Issue();
  ctx_.services.logger.Info("dashboard_login", {{"remote_addr", request.remote_addr}});
  ApiResponse r = SessionInfo(session, Caller::kSession);
  r.headers.push_back({"Set-Cookie", SetCookie(secure, cookie, sessions_.ttl_ms() / 1000)});
  return r;
}

ApiResponse HttpApi::SessionInfo(const std::optional<Session>& session, Caller caller) {
  nlohmann::json j = {{"auth", !token_digest_.empty()},
                      {"backend", ctx_.dashboard.backend},
                      {"upload_mode", ctx_.dashboard.presigned_uploads ? "presigned" : "direct"},
                      {"max_upload_bytes", ctx_.dashboard.max_upload_bytes},
                      {"version", DOCPIPE_VERSION}};
  if (caller == Caller::kSession && session) {
    j["csrf_token"] = session->csrf_token;
    j["expires_at"] = FormatIso8601(session->expires_at);
  } else if (caller == Caller::kAnonymous) {
    j["csrf_token"] = anonymous_csrf_;
    j["expires_at"] = nullptr;
  } else {
    j["csrf_token"] = "";  // bearer clients need none
    j["expires_at"] = nullptr;
  }
  return Json(200, j);
}

ApiResponse HttpApi::Logout(const std::optional<Session>& session, bool secure) {
  if (session) sessions_.Revoke(*session);
  ApiResponse r = Json(200, {{"signed_out", session.has_value()}});
  r.headers.push_back({"Set-Cookie", SetCookie(secure, "", 0)});
  return r;
}

ApiResponse HttpApi::ListDocuments(const ApiRequest& request) {
  DocumentListQuery q;
  if (std::string s = Param(request, "status"); !s.empty()) {
    q.status = ParseDocStatus(s);
    if (!q.status) {
      return Error(400, fmt::format("unknown status '{}' (PENDING, IN_PROGRESS, COMPLETED, FAILED, SUPERSEDED)", s));
    }
  }
  q.stage = Param(request, "stage");
  q.source_contains = Param(request, "q");
  q.document_ids = SplitCommas(Param(request, "ids"));
  if (q.document_ids.size() > static_cast<size_t>(kMaxIds)) {
    return Error(400, fmt::format("ids: at most {} documents", kMaxIds));
  }
  if (std::string sort = Param(request, "sort"); !sort.empty()) {
    std::optional<DocumentListQuery::Sort> s = ParseDocumentSort(sort);
    if (!s) return Error(400, "sort must be updated_at, created_at, source_key, status or pages");
    q.sort = *s;
  }
  if (std::string order = Param(request, "order"); !order.empty()) {
    if (order != "asc" && order != "desc") return Error(400, "order must be asc or desc");
    q.descending = order == "desc";
  }
  Result<int> limit = IntParam(request, "limit", 50, 1, 500);
  if (!limit.ok()) return FromStatus(limit.status());
  q.limit = *limit;
  q.cursor = Param(request, "cursor");
  Result<DocumentListPage> page = ctx_.services.control.ListDocuments(q);
  if (!page.ok()) return FromStatus(page.status());
  return Json(200, ToJson(*page));
}

ApiResponse HttpApi::GetDocument(const std::string& id, const ApiRequest& request) {
  Result<bool> all_versions = BoolParam(request, "all_versions");
  if (!all_versions.ok()) return FromStatus(all_versions.status());
  Result<std::vector<ControlRecord>> got = QueryStatus(ctx_.services.control, {id, "", true});
  if (!got.ok()) return FromStatus(got.status());
  if (!*all_versions) return Json(200, ToJson(got->back()));  // versions ascend: the latest
  nlohmann::json arr = nlohmann::json::array();
  for (const ControlRecord& r : *got) arr.push_back(ToJson(r));
  return Json(200, arr);
}

ApiResponse HttpApi::GetAudit(const std::string& id, const ApiRequest& request) {
  Result<int> limit = IntParam(request, "limit", kDefaultAuditPage, 1, kMaxAuditPage);
  if (!limit.ok()) return FromStatus(limit.status());
  Result<nlohmann::json> got = queries_.Audit({id, *limit, Param(request, "cursor")});
  if (!got.ok()) return FromStatus(got.status());
  return Json(200, *got);
}

ApiResponse HttpApi::GetPages(const std::string& id, const ApiRequest& request) {
  Result<int> page = IntParam(request, "page", 1, 1, 1 << 30);
  if (!page.ok()) return FromStatus(page.status());
  Result<nlohmann::json> got = queries_.Page(id, *page);
  if (!got.ok()) return FromStatus(got.status());
  return Json(200, *got);
}

ApiResponse HttpApi::GetChunks(const std::string& id, const ApiRequest& request) {
  if (!Param(request, "offset").empty()) {
    return Error(400, "offset: chunks are paged by cursor now (limit, then next_cursor as cursor)");
  }
  Result<int> limit = IntParam(request, "limit", kDefaultChunkPage, 1, kMaxChunkPage);
  if (!limit.ok()) return FromStatus(limit.status());
  Result<nlohmann::json> got = queries_.Chunks(ctx_.index, {id, *limit, Param(request, "cursor")});
  if (!got.ok()) return FromStatus(got.status());
  return Json(200, *got);
}

ApiResponse HttpApi::Retry(const std::string& id) {
  Result<ControlRecord> requeued = RequeueDocument(ctx_.services, ctx_.events, id, "docpipe serve");
  if (!requeued.ok()) return FromStatus(requeued.status());
  // `retry --no-wait --json`: the summary with the version as requeued.
  RunSummary summary = SummarizeRun({{requeued->document_id, requeued->processing_version, requeued->source_key,
                                      "retry"}},
                                    {*requeued}, {}, 0, false);
  return Json(202, summary.json);
}

ApiResponse HttpApi::Search(const ApiRequest& request) {
  SearchRequest sr;
  sr.query = Param(request, "q");
  if (std::all_of(sr.query.begin(), sr.query.end(), [](unsigned char c) { return std::isspace(c); })) {
    return Error(400, "q (the query) must not be empty");
  }
  if (std::string k = Param(request, "k"); !k.empty()) {
    auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), sr.k);
    if (ec != std::errc() || end != k.data() + k.size() || sr.k < 1 || sr.k > kMaxK) {
      return Error(400, fmt::format("k must be an integer between 1 and {}", kMaxK));
    }
  }
  if (std::string mode = Param(request, "mode"); !mode.empty()) {
    Result<SearchMode> m = ParseSearchMode(mode);
    if (!m.ok()) return Error(400, m.status().message());
    sr.mode = *m;
  }
  Result<bool> snippets = BoolParam(request, "snippets");
  if (!snippets.ok()) return FromStatus(snippets.status());
  sr.document_id = Param(request, "doc");
  std::string degraded;
  Result<std::vector<SearchResult>> results = RunSearch(&ctx_.embedder, ctx_.index, sr, &degraded);
  if (!results.ok()) return FromStatus(results.status());
  nlohmann::json out = SearchResultsJson(*results, degraded);
  if (*snippets) {
    // The dashboard's highlighted windows; without ?snippets the answer is
    // exactly `search --json`'s.
    for (size_t i = 0; i < out.size(); ++i) out[i]["snippet"] = SnippetSegments((*results)[i].hit.chunk.text, sr.query);
  }
  ApiResponse r = Json(200, out);
  // Also for an answer without hits, which has nowhere else to say it.
  if (!degraded.empty()) r.headers.push_back({"Warning", "199 docpipe \"" + degraded + "\""});
  return r;
}

ApiResponse HttpApi::Overview() {
  Result<nlohmann::json> got = queries_.Overview();
  if (!got.ok()) return FromStatus(got.status());
  return Json(200, *got);
}

ApiResponse HttpApi::Throughput(const ApiRequest& request) {
  const std::string window = Param(request, "window");
  Result<nlohmann::json> got = queries_.Throughput(window.empty() ? "hour" : window);
  if (!got.ok()) return FromStatus(got.status());
  return Json(200, *got);
}

ApiResponse HttpApi::Upload(const ApiRequest& request) {
  if (ctx_.dashboard.presigned_uploads) {
    return Error(409, "this head takes uploads through presigned URLs: POST /api/uploads/presign");
  }
  if (ctx_.registrar == nullptr) return Error(503, "this server takes no uploads");
  if (static_cast<int64_t>(request.body.size()) > ctx_.dashboard.max_upload_bytes) {
    return Error(413, fmt::format("the upload is {} bytes, over the {} byte limit", request.body.size(),
                                  ctx_.dashboard.max_upload_bytes));
  }
  Result<Registration> reg = RegisterUpload(*ctx_.registrar, ctx_.dashboard.scratch_dir, Param(request, "name"),
                                            request.body);
  if (!reg.ok()) return FromStatus(reg.status());
  nlohmann::json j = {{"document_id", reg->document_id},
                      {"processing_version", reg->processing_version},
                      {"source_key", reg->source_key},
                      {"registration", OutcomeName(reg->outcome)},
                      {"bytes", request.body.size()}};
  if (!reg->message.empty()) j["message"] = reg->message;
  return Json(201, j);
}

ApiResponse HttpApi::Presign(const ApiRequest& request) {
  if (!ctx_.dashboard.presigned_uploads) {
    return Error(409, "this server takes uploads itself: POST /api/uploads?name=<file name> with the bytes");
  }
  if (!IsJsonContentType(request.Header("content-type"))) {
    return Error(415, "send {\"name\", \"size\", \"content_type\"} as JSON");
  }
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string() || !body.contains("size") ||
      !body["size"].is_number_integer()) {
    return Error(400, "the body must be {\"name\": string, \"size\": integer, \"content_type\": string}");
  }
  const std::string content_type = body.contains("content_type") && body["content_type"].is_string()
                                       ? body["content_type"].get<std::string>()
                                       : "";
  Result<nlohmann::json> up = PresignUpload(ctx_.services.store, body["name"].get<std::string>(),
                                            body["size"].get<int64_t>(), content_type,
                                            ctx_.dashboard.max_upload_bytes, kPresignSeconds);
  if (!up.ok()) return FromStatus(up.status());
  return Json(200, *up);
}

ApiResponse HttpApi::Metrics() {
  Services& sv = ctx_.services;
  const std::string today = FormatDate(sv.clock.NowMs());
  Result<std::map<std::string, double>> row = sv.metrics.GetDay(today);
  if (!row.ok()) return FromStatus(row.status().Annotate("metrics table"));
  Result<QueueStats> queue = sv.queue.Stats();
  if (!queue.ok()) return FromStatus(queue.status().Annotate("work queue"));
  auto figure = [&](const std::string& name) {
    auto it = row->find(name);
    return it == row->end() ? 0.0 : it->second;
  };

  PromWriter w;
  w.Family("docpipe_documents", "gauge",
           "Documents by status of their latest version (the head's rollup, refreshed every head interval).");
  for (DocStatus s : {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted, DocStatus::kFailed,
                      DocStatus::kSuperseded}) {
    w.Sample("docpipe_documents", {{"status", DocStatusName(s)}}, figure(HeadDocumentsMetric(s)));
  }
  w.Family("docpipe_queue_messages", "gauge", "Work queue messages by state (SQS: approximate).");
  w.Sample("docpipe_queue_messages", {{"state", "visible"}}, static_cast<double>(queue->visible));
  w.Sample("docpipe_queue_messages", {{"state", "in_flight"}}, static_cast<double>(queue->in_flight));
  w.Sample("docpipe_queue_messages", {{"state", "delayed"}}, static_cast<double>(queue->delayed));
  w.Gauge("docpipe_dead_letter_messages", "Messages in the dead-letter queue.", static_cast<double>(queue->dead));

  DailyMetrics day = SummarizeDay(today, *row);
  const std::pair<const char*, const char*> kDaily[] = {
      {"documents_received", "Documents registered today (UTC)."},
      {kMetricDocumentsCompleted, "Document versions completed today (UTC)."},
      {kMetricDocumentsFailed, "Document versions failed today (UTC)."},
      {"duplicates_skipped", "Unchanged documents skipped today (UTC)."},
      {"retries", "Stage retries scheduled today (UTC)."},
      {kMetricPages, "Pages processed today (UTC)."},
      {kMetricChunks, "Chunks produced today (UTC)."},
      {kMetricTokens, "Embedding tokens today (UTC)."},
      {"cost_usd", "Estimated cost of the remote services today (UTC), US dollars."},
  };
  for (const auto& [name, help] : kDaily) {
    auto it = day.counters.find(name);
    w.Gauge(std::string("docpipe_today_") + name, help, it == day.counters.end() ? 0.0 : it->second);
  }
  w.Family("docpipe_today_stage_runs", "gauge", "Stage runs recorded today (UTC), by stage.");
  for (const auto& [stage, s] : day.stages) {
    w.Sample("docpipe_today_stage_runs", {{"stage", stage}}, static_cast<double>(s.count));
  }
  w.Family("docpipe_today_stage_duration_ms", "gauge",
           "Stage duration percentiles today (UTC), milliseconds (log buckets, at most 20% high).");
  for (const auto& [stage, s] : day.stages) {
    w.Sample("docpipe_today_stage_duration_ms", {{"stage", stage}, {"quantile", "0.5"}}, s.p50_ms);
    w.Sample("docpipe_today_stage_duration_ms", {{"stage", stage}, {"quantile", "0.95"}}, s.p95_ms);
  }
  w.Family("docpipe_today_document_latency_ms", "gauge",
           "Registration to COMPLETED of the versions completed today (UTC), milliseconds (head rollup).");
  w.Sample("docpipe_today_document_latency_ms", {{"quantile", "0.5"}}, figure(head_metric::kLatencyP50));
  w.Sample("docpipe_today_document_latency_ms", {{"quantile", "0.95"}}, figure(head_metric::kLatencyP95));

  w.Family("docpipe_http_requests_total", "counter", "HTTP requests answered by this head, by route and status.");
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, n] : requests_) {
      const auto& [method, route, status] = key;
      w.Sample("docpipe_http_requests_total", {{"method", method}, {"route", route}, {"code", std::to_string(status)}},
               static_cast<double>(n));
    }
  }
  w.Family("docpipe_head_requeued_total", "counter", "Stuck versions this head put back on the queue.");
  w.Sample("docpipe_head_requeued_total", {}, static_cast<double>(ctx_.head.requeued_total()));
  w.Family("docpipe_head_failed_total", "counter", "Stuck versions this head failed (retries exhausted).");
  w.Sample("docpipe_head_failed_total", {}, static_cast<double>(ctx_.head.failed_total()));
  w.Family("docpipe_head_runs_total", "counter", "Runs of the head duties.");
  w.Sample("docpipe_head_runs_total", {}, static_cast<double>(ctx_.head.runs_total()));
  w.Gauge("docpipe_head_last_run_timestamp_seconds", "When the head duties last ran (Unix time; 0 = not yet).",
          static_cast<double>(ctx_.head.last_run_at()) / 1000.0);

  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = w.Take();
  return r;
}

}  // namespace docpipe
