#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "index/vector_index.h"
#include "pipeline/services.h"
#include "tables/tables.h"

namespace docpipe {

// The dashboard's read models (docs/dashboard.md, "API"), computed on the
// server from the ports: SQL where the tables are SQLite, one Query or Scan
// where they are DynamoDB. The browser receives figures and pages, never
// whole tables. Thread-safe (the ports are).
class DashboardQueries {
 public:
  explicit DashboardQueries(Services& services) : services_(services) {}

  //! GET /api/overview: documents by status, backlog, today's stage p50/p95,
  //! errors by stage, cost so far, workers seen in the last day.
  Result<nlohmann::json> Overview();
  //! GET /api/throughput?window=hour|day: documents and pages completed per
  //! minute, in 1-minute (hour) or 15-minute (day) buckets, from the audit
  //! table's DOCUMENT_COMPLETED events. InvalidInput for another window.
  Result<nlohmann::json> Throughput(const std::string& window);
  //! GET /api/documents/{id}/pages?page=N: the extracted text of one page of
  //! the latest version. NotFound when the document or page is unknown.
  Result<nlohmann::json> Page(const std::string& document_id, int page);
  //! GET /api/documents/{id}/chunks?limit&cursor: one page of the chunks
  //! the index holds for the document (ChunkListQuery), with breadcrumbs,
  //! entities, key phrases and PII types. NotFound when the index holds none
  //! (before the load stage); InvalidInput for a bad cursor or limit.
  Result<nlohmann::json> Chunks(VectorIndex& index, const ChunkListQuery& query);
  //! GET /api/documents/{id}/audit?limit&cursor: one page of the audit
  //! trail, oldest first (AuditPageQuery). NotFound for a document without
  //! events.
  Result<nlohmann::json> Audit(const AuditPageQuery& query);

 private:
  Services& services_;
};

//! The documents list's answer: {"documents": [...], "total", "next_cursor"}.
nlohmann::json ToJson(const DocumentListPage& page);

//! A search hit's text as segments [{"text", "hit"}], hits being the query's
//! terms (search.h MakeSnippet's window, about `max_chars` long). Segments,
//! not HTML: the page shows them as text, so a document cannot inject markup.
nlohmann::json SnippetSegments(const std::string& text, const std::string& query, size_t max_chars = 320);

// A worker is "alive" when its last heartbeat is this recent.
inline constexpr int64_t kWorkerAliveMs = 90'000;

}  // namespace docpipe
