#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "pipeline/event_recorder.h"
#include "pipeline/services.h"
#include "search/search.h"
#include "tables/control_record.h"

namespace docpipe {

// What the CLI and the HTTP API both ask of the tables, so that one JSON
// schema (README "JSON outputs") serves both.

struct StatusQuery {
  std::string document_id;  // "" = all documents
  std::string status;       // filter, "" = any
  bool all_versions = false;
};

//! Control records as `docpipe status` shows them: every version of one
//! document, else the latest version of each document; then filtered by
//! status. InvalidInput for an unknown status name; NotFound when a named
//! document has no record; other errors come from the control table.
Result<std::vector<ControlRecord>> QueryStatus(ControlTable& control, const StatusQuery& query);

//! The same selection, in the same order and with the same errors, as the
//! rows `docpipe status` shows: the latest versions come from the table's
//! ControlRow listing, without decoding every record.
Result<std::vector<ControlRow>> QueryStatusRows(ControlTable& control, const StatusQuery& query);

//! The audit trail of one document in time order. NotFound when it has no
//! events.
Result<std::vector<AuditEvent>> QueryAudit(AuditLog& audit, const std::string& document_id);

//! Requeues a FAILED version: back to PENDING with its retries reset, the
//! failed stage to run again, RETRY_SCHEDULED in the audit (`requested_by`
//! in its details), and a work message sent. Conflict when someone else
//! changed the record meanwhile; errors of the tables or queue otherwise.
Status RequeueFailed(Services& services, EventRecorder& events, ControlRecord& record,
                     const std::string& requested_by);

//! Requeues the latest version of `document_id` (RequeueFailed) and returns
//! it as written. NotFound for an unknown document; Conflict (message
//! "not failed (status X)") when that version is not FAILED.
Result<ControlRecord> RequeueDocument(Services& services, EventRecorder& events, const std::string& document_id,
                                      const std::string& requested_by);

// One document of an ingest or retry summary.
struct TrackedDocument {
  std::string document_id;
  std::string version;
  std::string source_key;
  std::string outcome;  // registration outcome: new, new_version, duplicate, failed, retry
};

// The figures of `ingest --json` / `retry --json`.
struct RunSummary {
  nlohmann::json json;  // the whole object
  int completed = 0;
  int failed = 0;
  int unfinished = 0;
};

//! `records[i]` is the current record of `tracked[i]`.
RunSummary SummarizeRun(const std::vector<TrackedDocument>& tracked, const std::vector<ControlRecord>& records,
                        const std::vector<std::string>& skipped_files, int64_t elapsed_ms, bool interrupted);

//! `search --json`: an array of hits, best first. Each hit carries
//! `dense_degraded` (the reason) when `degraded` is not empty: the index
//! answered a vector or hybrid search from BM25 alone.
nlohmann::json SearchResultsJson(const std::vector<SearchResult>& results, const std::string& degraded = "");

}  // namespace docpipe
