#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tables/control_record.h"

namespace docpipe {

// One page of the documents list (the dashboard's table): the latest version
// of each document, filtered and sorted where the table lives, never the
// whole table shipped to a client.
struct DocumentListQuery {
  std::optional<DocStatus> status;          // nullopt = any
  std::string stage;                        // current_stage or error_stage; "" = any
  std::string source_contains;              // case-insensitive substring of source_key; "" = any
  std::vector<std::string> document_ids;    // only these; empty = all
  enum class Sort { kUpdated, kCreated, kSourceKey, kStatus, kPages } sort = Sort::kUpdated;
  bool descending = true;
  int limit = 50;      // 1..500
  std::string cursor;  // DocumentListPage::next_cursor of the previous page; "" = the first
};

struct DocumentListPage {
  std::vector<ControlRecord> records;
  int64_t total = 0;        // documents matching the filters, on every page
  std::string next_cursor;  // opaque; "" on the last page
};

// Figures over the latest version of every document, computed where the
// table lives (the dashboard's overview).
struct ControlSummary {
  std::map<std::string, int64_t> by_status;        // "COMPLETED" -> n (every status present, 0 when none)
  std::map<std::string, int64_t> failed_by_stage;  // FAILED documents by error_stage ("" = before a stage)
  std::map<std::string, int64_t> in_progress_by_stage;
  TimeMs oldest_pending_since = 0;  // updated_at of the longest-waiting PENDING version; 0 = none
  int64_t pages = 0;                // page_count over COMPLETED documents
  int64_t chunks = 0;
};

// The fields `docpipe status` shows of one document version, read without
// decoding the rest of its record (the stages' status and figures, most of
// an item).
struct ControlRow {
  std::string document_id;
  std::string processing_version;
  DocStatus status = DocStatus::kPending;
  std::string current_stage;
  int64_t page_count = 0;
  int64_t chunk_count = 0;
  int retry_count = 0;
  std::string source_key;
  std::string last_error;
  std::string error_stage;
};

ControlRow ControlRowOf(const ControlRecord& record);

// Sort keys of the document list, by name ("updated_at", "created_at",
// "source_key", "status", "pages"). nullopt for an unknown name.
std::optional<DocumentListQuery::Sort> ParseDocumentSort(const std::string& name);
const char* DocumentSortName(DocumentListQuery::Sort sort);

// Shared by the adapters, so both page alike: the sort value of a record,
// the opaque cursor after a record, and the reference paging over records
// already in memory (the adapters that cannot filter where the data lives).
nlohmann::json DocumentSortValue(const ControlRecord& record, DocumentListQuery::Sort sort);
std::string EncodeDocumentCursor(const DocumentListQuery& query, const ControlRecord& last);
struct DocumentCursor {
  nlohmann::json sort_value;
  std::string document_id;
};
//! nullopt for the first page; InvalidInput for a malformed cursor or one
//! made for another sort or direction.
Result<std::optional<DocumentCursor>> DecodeDocumentCursor(const DocumentListQuery& query);
Status ValidateDocumentListQuery(const DocumentListQuery& query);
bool MatchesDocumentFilters(const ControlRecord& latest, const DocumentListQuery& query);
//! `latest`: the latest version of each document, any order.
Result<DocumentListPage> PageDocuments(std::vector<ControlRecord> latest, const DocumentListQuery& query);
//! ControlSummary over the latest versions.
ControlSummary SummarizeLatest(const std::vector<ControlRecord>& latest);

// The control table: one record per (document_id, processing_version).
// All writes are conditional so concurrent workers (threads or processes)
// cannot overwrite each other. Thread-safe.
class ControlTable {
 public:
  virtual ~ControlTable() = default;
  //! Inserts `record` with revision 1 (record.revision is set).
  //! Conflict when that document version already exists.
  virtual Status Create(ControlRecord& record) = 0;
  //! NotFound when absent.
  virtual Result<ControlRecord> Get(const std::string& document_id, const std::string& version) = 0;
  //! The highest processing_version of the document. NotFound when none.
  virtual Result<ControlRecord> GetLatest(const std::string& document_id) = 0;
  //! Replaces the stored record if its revision still equals
  //! `record.revision`; then bumps record.revision. Conflict when the stored
  //! revision differs (someone else wrote first); NotFound when absent.
  virtual Status Update(ControlRecord& record) = 0;
  //! Records with `status` (all when nullopt), most recently updated first.
  virtual Result<std::vector<ControlRecord>> List(std::optional<DocStatus> status, int limit) = 0;
  //! Every version of one document, ascending.
  virtual Result<std::vector<ControlRecord>> ListVersions(const std::string& document_id) = 0;
  //! Removes one version; OK when absent.
  virtual Status Delete(const std::string& document_id, const std::string& version) = 0;
  //! One page of the latest versions (DocumentListQuery). Sorted by the key,
  //! then document_id; a cursor continues after the last record of the page
  //! it came from, so concurrent writes never repeat or skip unchanged rows.
  //! InvalidInput for a malformed cursor or a limit outside 1..500.
  virtual Result<DocumentListPage> ListDocuments(const DocumentListQuery& query) = 0;
  //! Counts over the latest versions (ControlSummary).
  virtual Result<ControlSummary> Summarize() = 0;
  //! The ControlRow of the latest version of every document whose latest
  //! version has `status` (any when nullopt), by document_id ascending.
  virtual Result<std::vector<ControlRow>> ListLatestRows(std::optional<DocStatus> status) = 0;
};

// Aggregates of audit events of one type over a time range, computed where
// the table lives: counts per time bucket (throughput charts), per stage
// (errors by stage) or per worker (workers seen).
struct AuditCountQuery {
  std::string event_type;  // DOCUMENT_COMPLETED, STAGE_FAILED, ...
  TimeMs since = 0;        // [since, until)
  TimeMs until = 0;
  int64_t bucket_ms = 0;  // > 0: one row per non-empty bucket of this width from `since`; 0: no time split
  enum class GroupBy { kNone, kStage, kWorker } group_by = GroupBy::kNone;
  std::string sum_detail;  // a numeric field of `details` to add up ("pages"); "" = none
};

//! InvalidInput for an empty event type, an empty or reversed range, a
//! negative bucket width, more than 10,000 buckets, or a detail name outside [a-z_].
Status ValidateAuditCountQuery(const AuditCountQuery& query);

struct AuditCount {
  TimeMs bucket_start = 0;  // since + n * bucket_ms (since when bucket_ms is 0)
  std::string group;        // the stage or worker id; "" for GroupBy::kNone
  int64_t count = 0;
  double sum = 0;           // of sum_detail
  TimeMs last_time = 0;     // the latest event counted
};

// One page of a document's audit trail, oldest first: read where the table
// lives (a range of the (document_id, event_id) key), never the whole trail.
inline constexpr int kMaxAuditPage = 1000;
struct AuditPageQuery {
  std::string document_id{};
  int limit = 100;       // 1..kMaxAuditPage
  std::string cursor{};  // AuditPage::next_cursor of the previous page; "" = the first
};

struct AuditPage {
  std::vector<AuditEvent> events;
  std::string next_cursor;  // opaque; "" on the last page
};

// Shared by the adapters, so both page alike. The cursor names the document
// and the last event_id of its page (event ids sort by time).
std::string EncodeAuditCursor(const std::string& document_id, const std::string& last_event_id);
//! The event_id to continue after ("" for the first page); InvalidInput for
//! a malformed cursor, one made for another document, or a limit outside
//! 1..kMaxAuditPage.
Result<std::string> DecodeAuditCursor(const AuditPageQuery& query);

// Append-only audit trail, one event per transition. Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  //! Appends; event.event_id is filled when empty.
  virtual Status Append(AuditEvent& event) = 0;
  //! Events of one document in time order.
  virtual Result<std::vector<AuditEvent>> List(const std::string& document_id) = 0;
  //! One page of the document's events in time order (AuditPageQuery); an
  //! empty page for a document without events. A cursor continues after the
  //! last event of its page, so events appended meanwhile are never skipped
  //! or repeated. InvalidInput for a bad cursor or limit (DecodeAuditCursor).
  virtual Result<AuditPage> ListPage(const AuditPageQuery& query) = 0;
  //! Aggregates (AuditCountQuery), ordered by bucket then group. InvalidInput
  //! for an empty event type or an empty range.
  virtual Result<std::vector<AuditCount>> Count(const AuditCountQuery& query) = 0;
};

// The date of the rows that mark facts MetricsTable::AddOnce counted:
// "<date>#counted" (metric = the fact). Both adapters keep them beside the
// counters and leave them out of GetDay and ListDays.
inline constexpr const char* kCountedDateSuffix = "#counted";

// Daily counters: (date "YYYY-MM-DD", metric) -> number. Adds are atomic so
// concurrent workers can count into the same row. Thread-safe.
class MetricsTable {
 public:
  virtual ~MetricsTable() = default;
  //! Atomically adds `delta` to the metric (created at 0 when absent).
  virtual Status Add(const std::string& date, const std::string& metric, double delta) = 0;
  //! Adds every delta of `deltas` (metric -> delta) to the day's metrics
  //! once per `fact` ("<document_id>/<version>/completed"), atomically: a
  //! repeat of the same fact on the same date adds nothing and is OK. So the
  //! figures of one event can be counted by whoever owes them (a retry whose
  //! first answer was lost, a worker finishing what a killed one began)
  //! without counting twice. The marker lives in the row "<date>#counted",
  //! which GetDay and ListDays never show.
  virtual Status AddOnce(const std::string& date, const std::string& fact,
                         const std::map<std::string, double>& deltas) = 0;
  //! Sets the metric to `value`, replacing what it held (figures the head
  //! service recomputes, so writing them again is idempotent).
  virtual Status Set(const std::string& date, const std::string& metric, double value) = 0;
  //! All metrics of one day (empty map when none).
  virtual Result<std::map<std::string, double>> GetDay(const std::string& date) = 0;
  //! Days that have metrics, ascending (never a "#counted" marker row).
  virtual Result<std::vector<std::string>> ListDays() = 0;
};

using ControlTablePtr = std::unique_ptr<ControlTable>;
using AuditLogPtr = std::unique_ptr<AuditLog>;
using MetricsTablePtr = std::unique_ptr<MetricsTable>;

}  // namespace docpipe
