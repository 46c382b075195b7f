#include "serve/dashboard.h"

#include <algorithm>

#include <fmt/format.h>

#include "pipeline/document_id.h"
#include "pipeline/metrics.h"
#include "pipeline/object_keys.h"
#include "pipeline/stage.h"
#include "pipeline/worker_heartbeat.h"
#include "search/search.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr const auto& kStageOrder = kPipelineStages;

double Figure(const std::map<std::string, double>& row, const std::string& name) {
  auto it = row.find(name);
  return it == row.end() ? 0.0 : it->second;
}

}  // namespace

Result<json> DashboardQueries::Overview() {
  Services& sv = services_;
  const TimeMs now = sv.clock.NowMs();
  Result<ControlSummary> summary = sv.control.Summarize();
  if (!summary.ok()) return summary.status().Annotate("control table");
  Result<QueueStats> queue = sv.queue.Stats();
  if (!queue.ok()) return queue.status().Annotate("work queue");
  AuditCountQuery failures;
  failures.event_type = "STAGE_FAILED";
  failures.since = now - kDay;
  failures.until = now + 1;
  failures.group_by = AuditCountQuery::GroupBy::kStage;
  Result<std::vector<AuditCount>> failed_attempts = sv.audit.Count(failures);
  if (!failed_attempts.ok()) return failed_attempts.status().Annotate("audit table");

  // Today's row (stage durations, today's counters, heartbeats), yesterday's
  // (heartbeats across midnight), every day's totals (cost so far).
  const std::string today = FormatDate(now);
  const std::string yesterday = FormatDate(now - kDay);
  Result<std::vector<std::string>> days = sv.metrics.ListDays();
  if (!days.ok()) return days.status().Annotate("metrics table");
  double tokens = 0, cost = 0, comprehend = 0;
  std::map<std::string, double> today_row, yesterday_row;
  for (const std::string& d : *days) {
    Result<std::map<std::string, double>> row = sv.metrics.GetDay(d);
    if (!row.ok()) return row.status().Annotate("metrics table");
    tokens += Figure(*row, kMetricTokens);
    cost += Figure(*row, "cost_usd");
    comprehend += Figure(*row, "comprehend_calls");
    if (d == today) today_row = *row;
    if (d == yesterday) yesterday_row = *row;
  }
  DailyMetrics day = SummarizeDay(today, today_row);

  json documents = json::object();
  int64_t total = 0;
  for (const auto& [status, n] : summary->by_status) {
    documents[status] = n;
    total += n;
  }
  json stages = json::object();
  json stage_order = json::array();
  for (const char* s : kStageOrder) {
    if (auto it = day.stages.find(s); it != day.stages.end()) stage_order.push_back(s);
  }
  for (const auto& [name, s] : day.stages) {
    stages[name] = {{"count", s.count}, {"p50_ms", s.p50_ms}, {"p95_ms", s.p95_ms}};
    if (std::find(std::begin(kStageOrder), std::end(kStageOrder), name) == std::end(kStageOrder)) {
      stage_order.push_back(name);
    }
  }
  json failed_by_stage = json::object();
  for (const auto& [stage, n] : summary->failed_by_stage) failed_by_stage[stage] = n;
  json stage_failures = json::object();
  for (const AuditCount& c : *failed_attempts) stage_failures[c.group] = c.count;
  json workers = json::array();
  for (const WorkerSeen& w : WorkersFromMetrics({yesterday_row, today_row})) {
    workers.push_back({{"worker_id", w.worker_id},
                       {"last_heartbeat", FormatIso8601(w.seen_at)},
                       {"age_ms", now - w.seen_at},
                       {"busy", w.beat.busy},
                       {"threads", w.beat.threads},
                       {"processed", w.beat.processed},
                       {"alive", now - w.seen_at <= kWorkerAliveMs}});
  }
  json today_counters = json::object();
  for (const auto& [name, v] : day.counters) {
    if (name.rfind("head_", 0) != 0) today_counters[name] = v;
  }
  return json{
      {"now", FormatIso8601(now)},
      {"documents", documents},
      {"total_documents", total},
      {"backlog",
       {{"visible", queue->visible},
        {"in_flight", queue->in_flight},
        {"delayed", queue->delayed},
        {"dead_letters", queue->dead},
        // The longest-waiting PENDING version: its message was sent when it
        // was registered or last requeued (works alike for SQLite and SQS,
        // which reports no message ages).
        {"oldest_age_ms", summary->oldest_pending_since > 0 ? json(now - summary->oldest_pending_since) : json()}}},
      {"stages", stages},
      {"stage_order", stage_order},
      {"errors", {{"failed_by_stage", failed_by_stage}, {"stage_failures_last_day", stage_failures}}},
      {"cost",
       {{"tokens", tokens},
        {"cost_usd", cost},
        {"comprehend_calls", comprehend},
        {"pages", summary->pages},
        {"chunks", summary->chunks}}},
      {"today", today_counters},
      {"workers", workers}};
}

Result<json> DashboardQueries::Throughput(const std::string& window) {
  int64_t bucket = 0, span = 0;
  if (window == "hour") {
    bucket = kMinute, span = 60 * kMinute;
  } else if (window == "day") {
    bucket = 15 * kMinute, span = kDay;
  } else {
    return Status::InvalidInput(fmt::format("window must be hour or day, not '{}'", window));
  }
  const TimeMs now = services_.clock.NowMs();
  const TimeMs until = (now / bucket + 1) * bucket;  // the current bucket is the last one
  const TimeMs since = until - span;
  AuditCountQuery q;
  q.event_type = "DOCUMENT_COMPLETED";
  q.since = since;
  q.until = until;
  q.bucket_ms = bucket;
  q.sum_detail = "pages";
  Result<std::vector<AuditCount>> counts = services_.audit.Count(q);
  if (!counts.ok()) return counts.status().Annotate("audit table");
  std::map<TimeMs, const AuditCount*> by_start;
  for (const AuditCount& c : *counts) by_start[c.bucket_start] = &c;
  const double minutes = static_cast<double>(bucket) / kMinute;
  json buckets = json::array();
  int64_t docs = 0;
  double pages = 0;
  for (TimeMs t = since; t < until; t += bucket) {
    auto it = by_start.find(t);
    const int64_t n = it == by_start.end() ? 0 : it->second->count;
    const double p = it == by_start.end() ? 0 : it->second->sum;
    docs += n;
    pages += p;
    buckets.push_back({{"start", FormatIso8601(t)},
                       {"documents", n},
                       {"pages", p},
                       {"documents_per_minute", n / minutes},
                       {"pages_per_minute", p / minutes}});
  }
  return json{{"window", window},
              {"bucket_minutes", bucket / kMinute},
              {"since", FormatIso8601(since)},
              {"until", FormatIso8601(until)},
              {"buckets", buckets},
              {"documents", docs},
              {"pages", pages}};
}

Result<json> DashboardQueries::Page(const std::string& document_id, int page) {
  Result<ControlRecord> latest = services_.control.GetLatest(document_id);
  if (!latest.ok()) {
    if (latest.status().IsNotFound()) return Status::NotFound(fmt::format("no document with id '{}'", document_id));
    return latest.status();
  }
  if (latest->page_count <= 0) return Status::NotFound(fmt::format("{} has no extracted pages yet", document_id));
  if (page < 1 || page > latest->page_count) {
    return Status::InvalidInput(fmt::format("page must be between 1 and {}", latest->page_count));
  }
  Result<std::string> text = services_.store.Get(ExtractedPageKey(document_id, page));
  if (!text.ok()) {
    if (text.status().IsNotFound()) return Status::NotFound(fmt::format("page {} of {} is not in the store", page, document_id));
    return text.status();
  }
  return json{{"document_id", document_id},
              {"processing_version", latest->processing_version},
              {"page", page},
              {"page_count", latest->page_count},
              {"markdown", std::move(*text)}};
}

Result<json> DashboardQueries::Chunks(VectorIndex& index, const ChunkListQuery& query) {
  Result<ChunkPage> page = index.ListChunks(query);
  if (!page.ok()) return page.status().code() == Status::Code::kInvalidInput ? page.status() : page.status().Annotate("index");
  if (page->chunks.empty() && query.cursor.empty()) {
    return Status::NotFound(fmt::format("{} has no chunks in the index yet (its load stage puts them there)",
                                        query.document_id));
  }
  json out = json::array();
  std::map<std::string, int> languages;
  std::string version;
  bool enriched = false;
  for (const IndexedChunk& c : page->chunks) {
    json entities = json::array();
    for (const ChunkEntity& e : c.entities) entities.push_back({{"type", e.type}, {"text", e.text}});
    out.push_back({{"chunk_id", c.chunk_id},
                   {"page_start", c.page_start},
                   {"page_end", c.page_end},
                   {"page_label_start", c.page_label_start},
                   {"page_label_end", c.page_label_end},
                   {"citation", PageCitation(c.page_start, c.page_end, c.page_label_start, c.page_label_end)},
                   {"breadcrumbs", c.breadcrumbs},
                   {"type", c.type},
                   {"text", c.text},
                   {"language", c.language},
                   {"entities", std::move(entities)},
                   {"key_phrases", c.key_phrases},
                   {"pii", c.pii_types}});
    if (!c.language.empty()) ++languages[c.language];
    enriched = enriched || !c.language.empty() || !c.key_phrases.empty() || !c.entities.empty();
    version = std::max(version, c.processing_version);
  }
  std::string language;
  int most = 0;
  for (const auto& [code, n] : languages) {
    if (n > most) language = code, most = n;
  }
  return json{{"document_id", query.document_id},
              {"processing_version", version},
              {"chunks", std::move(out)},
              {"total", page->total >= 0 ? json(page->total) : json()},
              {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)},
              {"enriched", enriched},
              {"language", language}};
}

Result<json> DashboardQueries::Audit(const AuditPageQuery& query) {
  Result<AuditPage> page = services_.audit.ListPage(query);
  if (!page.ok()) return page.status().code() == Status::Code::kInvalidInput ? page.status() : page.status().Annotate("audit table");
  if (page->events.empty() && query.cursor.empty()) {
    return Status::NotFound(fmt::format("no events for document '{}'", query.document_id));
  }
  json events = json::array();
  for (const AuditEvent& e : page->events) events.push_back(ToJson(e));
  return json{{"document_id", query.document_id},
              {"events", std::move(events)},
              {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)}};
}

json ToJson(const DocumentListPage& page) {
  json docs = json::array();
  for (const ControlRecord& r : page.records) docs.push_back(ToJson(r));
  return json{{"documents", docs},
              {"total", page.total},
              {"next_cursor", page.next_cursor.empty() ? json() : json(page.next_cursor)}};
}

json SnippetSegments(const std::string& text, const std::string& query, size_t max_chars) {
  // Control characters 0x01/0x02 mark the hits; any in the text go first.
  std::string clean = text;
  std::erase_if(clean, [](char c) { return c == '\x01' || c == '\x02'; });
  const std::string marked = MakeSnippet(clean, QueryTerms(query), max_chars, "\x01", "\x02");
  json segments = json::array();
  std::string current;
  bool in_hit = false;
  auto flush = [&] {
    if (!current.empty()) segments.push_back({{"text", current}, {"hit", in_hit}});
    current.clear();
  };
  for (char c : marked) {
    if (c == '\x01' || c == '\x02') {
      flush();
      in_hit = c == '\x01';
      continue;
    }
    current += c;
  }
  flush();
  return segments;
}

}  // namespace docpipe
