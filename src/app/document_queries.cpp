#include "app/document_queries.h"

#include <map>

#include <fmt/format.h>

#include "pipeline/registrar.h"

namespace docpipe {
namespace {

std::vector<ControlRecord> LatestPerDocument(std::vector<ControlRecord> all) {
  std::map<std::string, ControlRecord> latest;
  for (ControlRecord& r : all) {
    auto it = latest.find(r.document_id);
    if (it == latest.end() || it->second.processing_version < r.processing_version) latest[r.document_id] = std::move(r);
  }
  std::vector<ControlRecord> out;
  for (auto& [id, r] : latest) out.push_back(std::move(r));
  return out;
}

Result<std::optional<DocStatus>> ParseStatusFilter(const StatusQuery& query) {
  if (query.status.empty()) return std::optional<DocStatus>();
  std::optional<DocStatus> filter = ParseDocStatus(query.status);
  if (!filter) {
    return Status::InvalidInput(
        fmt::format("unknown status '{}' (PENDING, IN_PROGRESS, COMPLETED, FAILED, SUPERSEDED)", query.status));
  }
  return filter;
}

}  // namespace

Result<std::vector<ControlRecord>> QueryStatus(ControlTable& control, const StatusQuery& query) {
  Result<std::optional<DocStatus>> filter = ParseStatusFilter(query);
  if (!filter.ok()) return filter.status();
  Result<std::vector<ControlRecord>> recs = query.document_id.empty() ? control.List(std::nullopt, 1 << 30)
                                                                      : control.ListVersions(query.document_id);
  if (!recs.ok()) return recs.status();
  if (!query.document_id.empty() && recs->empty()) {
    return Status::NotFound(fmt::format("no document with id '{}'", query.document_id));
  }
  std::vector<ControlRecord> shown = query.all_versions || !query.document_id.empty()
                                         ? std::move(*recs)
                                         : LatestPerDocument(std::move(*recs));
  if (*filter) std::erase_if(shown, [&](const ControlRecord& r) { return r.status != **filter; });
  return shown;
}

Result<std::vector<ControlRow>> QueryStatusRows(ControlTable& control, const StatusQuery& query) {
  if (query.document_id.empty() && !query.all_versions) {
    Result<std::optional<DocStatus>> filter = ParseStatusFilter(query);
    if (!filter.ok()) return filter.status();
    return control.ListLatestRows(*filter);
  }
  Result<std::vector<ControlRecord>> records = QueryStatus(control, query);
  if (!records.ok()) return records.status();
  std::vector<ControlRow> rows;
  rows.reserve(records->size());
  for (const ControlRecord& r : *records) rows.push_back(ControlRowOf(r));
  return rows;
}

Result<std::vector<AuditEvent>> QueryAudit(AuditLog& audit, const std::string& document_id) {
  Result<std::vector<AuditEvent>> events = audit.List(document_id);
  if (!events.ok()) return events.status();
  if (events->empty()) return Status::NotFound(fmt::format("no events for document '{}'", document_id));
  return events;
}

Status RequeueFailed(Services& services, EventRecorder& events, ControlRecord& r, const std::string& requested_by) {
  std::string failed_stage = r.error_stage;
  r.status = DocStatus::kPending;
  r.retry_count = 0;
  r.next_attempt_at = 0;
  r.lease_owner.clear();
  r.lease_expires_at = 0;
  if (auto it = r.stage_status.find(failed_stage); it != r.stage_status.end()) it->second.status = StageState::kPending;
  r.updated_at = services.clock.NowMs();
  DOCPIPE_RETURN_IF_ERROR(services.control.Update(r));
  events.Audit(r, audit_event::kRetryScheduled, failed_stage, 0, "", {{"requested_by", requested_by}});
  Status sent = services.queue.Send(WorkMessageBody(r.document_id, r.processing_version), 0);
  if (!sent.ok()) return sent.Annotate("cannot enqueue");
  return Status::Ok();
}

Result<ControlRecord> RequeueDocument(Services& services, EventRecorder& events, const std::string& document_id,
                                      const std::string& requested_by) {
  Result<ControlRecord> latest = services.control.GetLatest(document_id);
  if (!latest.ok()) {
    if (latest.status().IsNotFound()) return Status::NotFound(fmt::format("no document with id '{}'", document_id));
    return latest.status();
  }
  if (latest->status != DocStatus::kFailed) {
    return Status::Conflict(fmt::format("not failed (status {})", DocStatusName(latest->status)));
  }
  DOCPIPE_RETURN_IF_ERROR(RequeueFailed(services, events, *latest, requested_by));
  return latest;
}

RunSummary SummarizeRun(const std::vector<TrackedDocument>& tracked, const std::vector<ControlRecord>& records,
                        const std::vector<std::string>& skipped_files, int64_t elapsed_ms, bool interrupted) {
  RunSummary s;
  int duplicates = 0;
  int64_t pages = 0, chunks = 0;
  nlohmann::json docs = nlohmann::json::array();
  for (size_t i = 0; i < tracked.size(); ++i) {
    const ControlRecord& r = records[i];
    if (tracked[i].outcome == "duplicate") ++duplicates;
    switch (r.status) {
      case DocStatus::kCompleted: ++s.completed; break;
      case DocStatus::kFailed: ++s.failed; break;
      default: ++s.unfinished; break;
    }
    pages += r.page_count;
    chunks += r.chunk_count;
    nlohmann::json d = {{"document_id", tracked[i].document_id},
                        {"processing_version", tracked[i].version},
                        {"source_key", tracked[i].source_key},
                        {"registration", tracked[i].outcome},
                        {"status", DocStatusName(r.status)},
                        {"pages", r.page_count},
                        {"chunks", r.chunk_count},
                        {"retry_count", r.retry_count}};
    if (r.status == DocStatus::kFailed) {
      d["error"] = r.last_error;
      d["error_stage"] = r.error_stage;
    }
    docs.push_back(std::move(d));
  }
  s.json = {{"documents", docs},         {"total", tracked.size()},     {"completed", s.completed},
            {"failed", s.failed},         {"unfinished", s.unfinished}, {"duplicates", duplicates},
            {"pages", pages},             {"chunks", chunks},           {"elapsed_ms", elapsed_ms},
            {"interrupted", interrupted}, {"skipped_files", skipped_files}};
  return s;
}

nlohmann::json SearchResultsJson(const std::vector<SearchResult>& results, const std::string& degraded) {
  nlohmann::json arr = nlohmann::json::array();
  for (const SearchResult& r : results) {
    const IndexedChunk& c = r.hit.chunk;
    arr.push_back({{"rank", r.rank},
                   {"score", r.hit.score},
                   {"document_id", c.document_id},
                   {"processing_version", c.processing_version},
                   {"source_key", c.source_key},
                   {"chunk_id", c.chunk_id},
                   {"page_start", c.page_start},
                   {"page_end", c.page_end},
                   {"page_label_start", c.page_label_start},
                   {"page_label_end", c.page_label_end},
                   {"citation", PageCitation(c)},
                   {"breadcrumbs", c.breadcrumbs},
                   {"type", c.type},
                   {"vector_rank", r.hit.vector_rank},
                   {"keyword_rank", r.hit.keyword_rank},
                   {"text", c.text}});
    if (!degraded.empty()) arr.back()["dense_degraded"] = degraded;
  }
  return arr;
}

}  // namespace docpipe
