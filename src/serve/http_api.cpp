#include "serve/http_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "app/document_queries.h"
#include "common/hash.h"
#include "pipeline/metrics.h"
#include "search/search.h"

namespace docpipe {
namespace {

// Route templates: what logs and request counts name (bounded cardinality).
constexpr const char* kHealthz = "/healthz";
constexpr const char* kMetrics = "/metrics";
constexpr const char* kDocuments = "/api/documents";
constexpr const char* kDocument = "/api/documents/{id}";
constexpr const char* kAudit = "/api/documents/{id}/audit";
constexpr const char* kRetry = "/api/documents/{id}/retry";
constexpr const char* kSearch = "/api/search";
constexpr const char* kUnmatched = "unmatched";

constexpr int kMaxK = 1000;  // as `docpipe search -k`

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

// The route template and document id of `path`; kUnmatched when none.
std::pair<std::string, std::string> Match(const std::string& path) {
  if (path == "/healthz") return {kHealthz, ""};
  if (path == "/metrics") return {kMetrics, ""};
  if (path == "/api/search") return {kSearch, ""};
  std::vector<std::string> s = Segments(path);
  if (s.size() < 2 || s[0] != "api" || s[1] != "documents" || path.back() == '/') return {kUnmatched, ""};
  if (s.size() == 2) return {kDocuments, ""};
  if (s.size() == 3) return {kDocument, s[2]};
  if (s.size() == 4 && s[3] == "audit") return {kAudit, s[2]};
  if (s.size() == 4 && s[3] == "retry") return {kRetry, s[2]};
  return {kUnmatched, ""};
}

const char* AllowedMethod(const std::string& route) { return route == kRetry ? "POST" : "GET"; }

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

// Constant-time equality of two equal-length strings (digests).
bool SameDigest(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
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

HttpApi::HttpApi(ApiContext context, std::string token)
    : ctx_(context), token_digest_(token.empty() ? "" : Sha256Hex(token)) {}

bool HttpApi::Authorized(const std::string& authorization) const {
  if (token_digest_.empty()) return true;
  constexpr size_t kScheme = 7;  // "Bearer "
  if (authorization.size() <= kScheme) return false;
  std::string scheme = authorization.substr(0, kScheme);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer ") return false;
  // Digests have one length whatever the token's, so the comparison's time
  // says nothing about the token.
  return SameDigest(Sha256Hex(authorization.substr(kScheme)), token_digest_);
}

ApiResponse HttpApi::Handle(const ApiRequest& request) {
  const TimeMs start = ctx_.services.clock.NowMs();
  auto [route, id] = Match(request.path);
  ApiResponse response;
  if (route != kHealthz && !Authorized(request.authorization)) {
    response = Error(401, "missing or wrong bearer token");
    response.headers.push_back({"WWW-Authenticate", "Bearer"});
  } else if (route == kUnmatched) {
    response = Error(404, "no such endpoint");
  } else if (request.method != AllowedMethod(route)) {
    response = Error(405, fmt::format("{} takes {} only", route, AllowedMethod(route)));
    response.headers.push_back({"Allow", AllowedMethod(route)});
  } else if (!id.empty() && !PlausibleDocumentId(id)) {
    response = Error(400, "malformed document id");
  } else {
    response = Dispatch(request, route, id);
  }
  CountRequest(request.method, route, response.status);
  // The path only: query strings carry user text, and nothing here logs
  // the Authorization header.
  nlohmann::json fields = {{"method", request.method},
                           {"path", request.path.substr(0, 512)},
                           {"route", route},
                           {"status", response.status},
                           {"duration_ms", ctx_.services.clock.NowMs() - start}};
  if (!id.empty() && PlausibleDocumentId(id)) fields["document_id"] = id;
  ctx_.services.logger.Log(response.status >= 500 ? LogLevel::kWarn : LogLevel::kInfo, "http_request",
                           std::move(fields));
  return response;
}

ApiResponse HttpApi::Dispatch(const ApiRequest& request, const std::string& route, const std::string& id) {
  if (route == kHealthz) return Healthz();
  if (route == kMetrics) return Metrics();
  if (route == kDocuments) return ListDocuments(request);
  if (route == kDocument) return GetDocument(id, request);
  if (route == kAudit) return GetAudit(id);
  if (route == kRetry) return Retry(id);
  if (route == kSearch) return Search(request);
  return Error(404, "no such endpoint");
}

void HttpApi::CountRequest(const std::string& method, const std::string& route, int status) {
  // Methods outside the API's own are one label, so odd clients cannot grow the map.
  const std::string m = method == "GET" || method == "POST" ? method : "other";
  std::lock_guard lock(mu_);
  ++requests_[{m, route, status}];
}

ApiResponse HttpApi::Healthz() {
  // One point read: NotFound is a healthy answer.
  Result<ControlRecord> probe = ctx_.services.control.Get("docpipe-healthz-probe", "000000");
  if (probe.ok() || probe.status().IsNotFound()) return Json(200, {{"status", "ok"}});
  return Json(503, {{"status", "unavailable"}, {"error", probe.status().ToString()}});
}

ApiResponse HttpApi::ListDocuments(const ApiRequest& request) {
  Result<bool> all_versions = BoolParam(request, "all_versions");
  if (!all_versions.ok()) return FromStatus(all_versions.status());
  Result<std::vector<ControlRecord>> got =
      QueryStatus(ctx_.services.control, {"", Param(request, "status"), *all_versions});
  if (!got.ok()) return FromStatus(got.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const ControlRecord& r : *got) arr.push_back(ToJson(r));
  return Json(200, arr);
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

ApiResponse HttpApi::GetAudit(const std::string& id) {
  Result<std::vector<AuditEvent>> events = QueryAudit(ctx_.services.audit, id);
  if (!events.ok()) return FromStatus(events.status());
  nlohmann::json arr = nlohmann::json::array();
  for (const AuditEvent& e : *events) arr.push_back(ToJson(e));
  return Json(200, arr);
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
  sr.document_id = Param(request, "doc");
  Result<std::vector<SearchResult>> results = RunSearch(&ctx_.embedder, ctx_.index, sr);
  if (!results.ok()) return FromStatus(results.status());
  return Json(200, SearchResultsJson(*results));
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
