#include "tables/control_record.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/list_cursor.h"
#include "common/utf8.h"
#include "tables/tables.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

// Parses exactly "YYYY-MM-DDTHH:MM:SS.mmmZ" (what FormatIso8601 writes).
std::optional<TimeMs> ParseIso8601(const std::string& s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != '.' || s[23] != 'Z') {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int year = num(0, 4), mon = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), min = num(14, 2), sec = num(17, 2), ms = num(20, 3);
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 ||
      min > 59 || sec < 0 || sec > 60 || ms < 0) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t secs = timegm(&tm);
  return static_cast<TimeMs>(secs) * 1000 + ms;
}


// Times are omitted when 0 ("not yet"), so a record never claims 1970.
void PutTime(json& j, const char* name, TimeMs t) {
  if (t != 0) j[name] = FormatIso8601(t);
}

// Reads optional fields out of one JSON object; the first type error wins and
// names the field, so a bad item can be found in the table.
class FieldReader {
 public:
  FieldReader(const json& j, std::string what) : j_(j), what_(std::move(what)) {}

  const json* Find(const char* name) {
    auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void Fail(const char* name, const char* expected) {
    if (status_.ok()) {
      status_ = Status::InvalidInput(fmt::format("{}: field '{}' must be {}", what_, name, expected));
    }
  }
  void String(const char* name, std::string& out, bool required = false) {
    const json* v = Find(name);
    if (v == nullptr) {
      if (required) Fail(name, "a non-empty string (missing)");
      return;
    }
    if (!v->is_string()) return Fail(name, "a string");
    out = v->get<std::string>();
    if (required && out.empty()) Fail(name, "a non-empty string");
  }
  template <typename Int>
  void Integer(const char* name, Int& out) {
    const json* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_number_integer()) return Fail(name, "an integer");
    out = v->get<Int>();
  }
  void Time(const char* name, TimeMs& out) {
    const json* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(name, "an ISO-8601 UTC time string");
    auto t = ParseIso8601(v->get<std::string>());
    if (!t) return Fail(name, "an ISO-8601 UTC time like 2026-01-02T03:04:05.678Z");
    out = *t;
  }
  void Object(const char* name, json& out) {
    const json* v = Find(name);
    if (v == nullptr) return;
    if (!v->is_object()) return Fail(name, "an object");
    out = *v;
  }
  const Status& status() const { return status_; }

 private:
  const json& j_;
  std::string what_;
  Status status_;
};

json ToJson(const StageStatus& s) {
  json j = json::object();
  j["status"] = StageStateName(s.status);
  PutTime(j, "started_at", s.started_at);
  PutTime(j, "completed_at", s.completed_at);
  j["duration_ms"] = s.duration_ms;
  j["attempts"] = s.attempts;
  if (s.interruptions != 0) j["interruptions"] = s.interruptions;  // absent before issue 17n
  j["output_key"] = s.output_key;
  j["error"] = CapError(s.error);
  j["metrics"] = s.metrics;
  return j;
}

Status StageStatusFromJson(const std::string& stage, const json& j, StageStatus& s) {
  std::string what = "stage_status." + stage;
  if (!j.is_object()) return Status::InvalidInput(what + " must be an object");
  FieldReader r(j, what);
  std::string state = StageStateName(s.status);
  r.String("status", state);
  std::optional<StageState> parsed = ParseStageState(state);
  if (!parsed) return Status::InvalidInput(what + ".status '" + state + "' is not a stage state");
  s.status = *parsed;
  r.Time("started_at", s.started_at);
  r.Time("completed_at", s.completed_at);
  r.Integer("duration_ms", s.duration_ms);
  r.Integer("attempts", s.attempts);
  r.Integer("interruptions", s.interruptions);
  r.String("output_key", s.output_key);
  r.String("error", s.error);
  r.Object("metrics", s.metrics);
  return r.status();
}

}  // namespace

// Cuts at kMaxErrorChars bytes without splitting a UTF-8 sequence.
std::string CapError(const std::string& e) {
  if (e.size() <= kMaxErrorChars) return e;
  return e.substr(0, Utf8Floor(e, kMaxErrorChars));
}

const char* StageStateName(StageState s) {
  switch (s) {
    case StageState::kPending: return "PENDING";
    case StageState::kInProgress: return "IN_PROGRESS";
    case StageState::kCompleted: return "COMPLETED";
    case StageState::kFailed: return "FAILED";
  }
  return "PENDING";
}

std::optional<StageState> ParseStageState(const std::string& s) {
  for (StageState state : {StageState::kPending, StageState::kInProgress, StageState::kCompleted, StageState::kFailed}) {
    if (s == StageStateName(state)) return state;
  }
  return std::nullopt;
}

const char* DocStatusName(DocStatus s) {
  switch (s) {
    case DocStatus::kPending: return "PENDING";
    case DocStatus::kInProgress: return "IN_PROGRESS";
    case DocStatus::kCompleted: return "COMPLETED";
    case DocStatus::kFailed: return "FAILED";
    case DocStatus::kSuperseded: return "SUPERSEDED";
  }
  return "UNKNOWN";
}

std::optional<DocStatus> ParseDocStatus(const std::string& s) {
  for (DocStatus d : {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted,
                      DocStatus::kFailed, DocStatus::kSuperseded}) {
    if (s == DocStatusName(d)) return d;
  }
  return std::nullopt;
}

std::string FormatVersion(int64_t n) { return fmt::format("{:06}", n); }

json ToJson(const ControlRecord& r) {
  json j = json::object();
  j["document_id"] = r.document_id;
  j["processing_version"] = r.processing_version;
  j["source_key"] = r.source_key;
  j["source_size"] = r.source_size;
  j["content_sha256"] = r.content_sha256;
  j["source_etag"] = r.source_etag;
  j["status"] = DocStatusName(r.status);
  j["current_stage"] = r.current_stage;
  json stages = json::object();
  for (const auto& [name, s] : r.stage_status) stages[name] = ToJson(s);
  j["stage_status"] = std::move(stages);
  j["retry_count"] = r.retry_count;
  j["max_retries"] = r.max_retries;
  if (r.takeovers != 0) j["takeovers"] = r.takeovers;
  PutTime(j, "created_at", r.created_at);
  PutTime(j, "updated_at", r.updated_at);
  if (r.ttl != 0) j["ttl"] = r.ttl;
  j["last_error"] = CapError(r.last_error);
  j["error_stage"] = r.error_stage;
  j["lease_owner"] = r.lease_owner;
  PutTime(j, "lease_expires_at", r.lease_expires_at);
  PutTime(j, "next_attempt_at", r.next_attempt_at);
  j["page_count"] = r.page_count;
  j["chunk_count"] = r.chunk_count;
  // Absent until used: most versions are claimed once and never dead-lettered.
  if (!r.claim_message_id.empty()) j["claim_message_id"] = r.claim_message_id;
  if (r.message_claims != 0) j["message_claims"] = r.message_claims;
  if (r.dead_letter_requeues != 0) j["dead_letter_requeues"] = r.dead_letter_requeues;
  if (!r.requeued_message_id.empty()) j["requeued_message_id"] = r.requeued_message_id;
  j["revision"] = r.revision;
  return j;
}

Result<ControlRecord> ControlRecordFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidInput("control record: not a JSON object");
  ControlRecord rec;
  FieldReader r(j, "control record");
  r.String("document_id", rec.document_id, /*required=*/true);
  r.String("processing_version", rec.processing_version, /*required=*/true);
  r.String("source_key", rec.source_key);
  r.Integer("source_size", rec.source_size);
  r.String("content_sha256", rec.content_sha256);
  r.String("source_etag", rec.source_etag);
  std::string status;
  r.String("status", status, /*required=*/true);
  if (r.status().ok()) {
    auto parsed = ParseDocStatus(status);
    if (!parsed) return Status::InvalidInput("control record: field 'status' has unknown value '" + status + "'");
    rec.status = *parsed;
  }
  r.String("current_stage", rec.current_stage);
  r.Integer("retry_count", rec.retry_count);
  r.Integer("max_retries", rec.max_retries);
  r.Integer("takeovers", rec.takeovers);
  r.Time("created_at", rec.created_at);
  r.Time("updated_at", rec.updated_at);
  r.Integer("ttl", rec.ttl);
  r.String("last_error", rec.last_error);
  r.String("error_stage", rec.error_stage);
  r.String("lease_owner", rec.lease_owner);
  r.Time("lease_expires_at", rec.lease_expires_at);
  r.Time("next_attempt_at", rec.next_attempt_at);
  r.Integer("page_count", rec.page_count);
  r.Integer("chunk_count", rec.chunk_count);
  r.String("claim_message_id", rec.claim_message_id);
  r.Integer("message_claims", rec.message_claims);
  r.Integer("dead_letter_requeues", rec.dead_letter_requeues);
  r.String("requeued_message_id", rec.requeued_message_id);
  r.Integer("revision", rec.revision);
  json stages = json::object();
  r.Object("stage_status", stages);
  DOCPIPE_RETURN_IF_ERROR(r.status());
  for (const auto& [name, sj] : stages.items()) {
    StageStatus s;
    DOCPIPE_RETURN_IF_ERROR(StageStatusFromJson(name, sj, s).Annotate("control record"));
    rec.stage_status.emplace(name, std::move(s));
  }
  return rec;
}

json ToJson(const AuditEvent& e) {
  json j = json::object();
  j["document_id"] = e.document_id;
  j["event_id"] = e.event_id;
  j["processing_version"] = e.processing_version;
  j["event_type"] = e.event_type;
  j["stage"] = e.stage;
  PutTime(j, "time", e.time);
  j["worker_id"] = e.worker_id;
  j["duration_ms"] = e.duration_ms;
  j["error"] = CapError(e.error);
  j["details"] = e.details;
  if (e.ttl != 0) j["ttl"] = e.ttl;
  return j;
}

Result<AuditEvent> AuditEventFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidInput("audit event: not a JSON object");
  AuditEvent e;
  FieldReader r(j, "audit event");
  r.String("document_id", e.document_id, /*required=*/true);
  r.String("event_id", e.event_id);
  r.String("processing_version", e.processing_version);
  r.String("event_type", e.event_type, /*required=*/true);
  r.String("stage", e.stage);
  r.Time("time", e.time);
  r.String("worker_id", e.worker_id);
  r.Integer("duration_ms", e.duration_ms);
  r.String("error", e.error);
  r.Object("details", e.details);
  r.Integer("ttl", e.ttl);
  DOCPIPE_RETURN_IF_ERROR(r.status());
  return e;
}

}  // namespace docpipe

// ---- The documents list ------------------------------------------------------

namespace docpipe {
namespace {

constexpr int kMaxDocumentPage = 500;

std::string AsciiLowerCopy(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Orders by the sort value, then document_id, in the query's direction.
bool Before(const nlohmann::json& va, const std::string& ida, const nlohmann::json& vb, const std::string& idb,
            bool descending) {
  if (va != vb) return descending ? vb < va : va < vb;
  return descending ? idb < ida : ida < idb;
}

}  // namespace

std::optional<DocumentListQuery::Sort> ParseDocumentSort(const std::string& name) {
  using S = DocumentListQuery::Sort;
  for (S s : {S::kUpdated, S::kCreated, S::kSourceKey, S::kStatus, S::kPages}) {
    if (name == DocumentSortName(s)) return s;
  }
  return std::nullopt;
}

const char* DocumentSortName(DocumentListQuery::Sort sort) {
  switch (sort) {
    case DocumentListQuery::Sort::kUpdated: return "updated_at";
    case DocumentListQuery::Sort::kCreated: return "created_at";
    case DocumentListQuery::Sort::kSourceKey: return "source_key";
    case DocumentListQuery::Sort::kStatus: return "status";
    case DocumentListQuery::Sort::kPages: return "pages";
  }
  return "updated_at";
}

nlohmann::json DocumentSortValue(const ControlRecord& r, DocumentListQuery::Sort sort) {
  switch (sort) {
    case DocumentListQuery::Sort::kUpdated: return r.updated_at;
    case DocumentListQuery::Sort::kCreated: return r.created_at;
    case DocumentListQuery::Sort::kSourceKey: return r.source_key;
    case DocumentListQuery::Sort::kStatus: return DocStatusName(r.status);
    case DocumentListQuery::Sort::kPages: return r.page_count;
  }
  return r.updated_at;
}

std::string EncodeDocumentCursor(const DocumentListQuery& q, const ControlRecord& last) {
  nlohmann::json c = {DocumentSortName(q.sort), q.descending ? "desc" : "asc", DocumentSortValue(last, q.sort),
                      last.document_id};
  return Base64UrlEncode(c.dump());
}

Result<std::optional<DocumentCursor>> DecodeDocumentCursor(const DocumentListQuery& q) {
  if (q.cursor.empty()) return std::optional<DocumentCursor>();
  auto bad = [] { return Status::InvalidInput("malformed cursor (take next_cursor from the previous page)"); };
  std::optional<std::string> raw = Base64UrlDecode(q.cursor);
  if (!raw) return bad();
  nlohmann::json c = nlohmann::json::parse(*raw, nullptr, false);
  if (!c.is_array() || c.size() != 4 || !c[0].is_string() || !c[1].is_string() || !c[3].is_string()) return bad();
  if (c[0] != DocumentSortName(q.sort) || c[1] != (q.descending ? "desc" : "asc")) {
    return Status::InvalidInput("the cursor belongs to another sort order; start from the first page");
  }
  const bool numeric = q.sort == DocumentListQuery::Sort::kUpdated || q.sort == DocumentListQuery::Sort::kCreated ||
                       q.sort == DocumentListQuery::Sort::kPages;
  if (numeric ? !c[2].is_number_integer() : !c[2].is_string()) return bad();
  return std::optional<DocumentCursor>(DocumentCursor{c[2], c[3].get<std::string>()});
}

Status ValidateDocumentListQuery(const DocumentListQuery& q) {
  if (q.limit < 1 || q.limit > kMaxDocumentPage) {
    return Status::InvalidInput(fmt::format("limit must be between 1 and {}", kMaxDocumentPage));
  }
  Result<std::optional<DocumentCursor>> cursor = DecodeDocumentCursor(q);
  return cursor.ok() ? Status::Ok() : cursor.status();
}

bool MatchesDocumentFilters(const ControlRecord& r, const DocumentListQuery& q) {
  if (q.status && r.status != *q.status) return false;
  if (!q.stage.empty() && r.current_stage != q.stage && r.error_stage != q.stage) return false;
  if (!q.document_ids.empty() &&
      std::find(q.document_ids.begin(), q.document_ids.end(), r.document_id) == q.document_ids.end()) {
    return false;
  }
  if (!q.source_contains.empty() &&
      AsciiLowerCopy(r.source_key).find(AsciiLowerCopy(q.source_contains)) == std::string::npos) {
    return false;
  }
  return true;
}

Result<DocumentListPage> PageDocuments(std::vector<ControlRecord> latest, const DocumentListQuery& q) {
  DOCPIPE_RETURN_IF_ERROR(ValidateDocumentListQuery(q));
  Result<std::optional<DocumentCursor>> cursor = DecodeDocumentCursor(q);
  std::erase_if(latest, [&](const ControlRecord& r) { return !MatchesDocumentFilters(r, q); });
  DocumentListPage page;
  page.total = static_cast<int64_t>(latest.size());
  std::sort(latest.begin(), latest.end(), [&](const ControlRecord& a, const ControlRecord& b) {
    return Before(DocumentSortValue(a, q.sort), a.document_id, DocumentSortValue(b, q.sort), b.document_id,
                  q.descending);
  });
  size_t start = 0;
  if (*cursor) {
    const DocumentCursor& c = **cursor;
    while (start < latest.size() &&
           !Before(c.sort_value, c.document_id, DocumentSortValue(latest[start], q.sort), latest[start].document_id,
                   q.descending)) {
      ++start;
    }
  }
  size_t end = std::min(latest.size(), start + static_cast<size_t>(q.limit));
  for (size_t i = start; i < end; ++i) page.records.push_back(std::move(latest[i]));
  if (end < latest.size() && !page.records.empty()) page.next_cursor = EncodeDocumentCursor(q, page.records.back());
  return page;
}

ControlRow ControlRowOf(const ControlRecord& r) {
  return {r.document_id, r.processing_version, r.status,     r.current_stage, r.page_count,
          r.chunk_count, r.retry_count,        r.source_key, r.last_error,    r.error_stage};
}

ControlSummary SummarizeLatest(const std::vector<ControlRecord>& latest) {
  ControlSummary s;
  for (DocStatus st : {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted, DocStatus::kFailed,
                       DocStatus::kSuperseded}) {
    s.by_status[DocStatusName(st)] = 0;
  }
  for (const ControlRecord& r : latest) {
    ++s.by_status[DocStatusName(r.status)];
    if (r.status == DocStatus::kFailed) ++s.failed_by_stage[r.error_stage];
    if (r.status == DocStatus::kInProgress) ++s.in_progress_by_stage[r.current_stage];
    if (r.status == DocStatus::kPending && (s.oldest_pending_since == 0 || r.updated_at < s.oldest_pending_since)) {
      s.oldest_pending_since = r.updated_at;
    }
    if (r.status == DocStatus::kCompleted) {
      s.pages += r.page_count;
      s.chunks += r.chunk_count;
    }
  }
  return s;
}

}  // namespace docpipe

namespace docpipe {

Status ValidateAuditCountQuery(const AuditCountQuery& q) {
  if (q.event_type.empty()) return Status::InvalidInput("audit count needs an event type");
  if (q.until <= q.since) return Status::InvalidInput("audit count needs a non-empty time range");
  if (q.bucket_ms < 0) return Status::InvalidInput("audit count: negative bucket width");
  if (q.bucket_ms > 0 && (q.until - q.since) / q.bucket_ms > 10'000) {
    return Status::InvalidInput("audit count: more than 10,000 buckets");
  }
  for (char c : q.sum_detail) {
    if (!(c >= 'a' && c <= 'z') && c != '_') return Status::InvalidInput("audit count: bad detail name");
  }
  return Status::Ok();
}

}  // namespace docpipe

// ---- One document's audit trail, a page at a time -----------------------------

namespace docpipe {

std::string EncodeAuditCursor(const std::string& document_id, const std::string& last_event_id) {
  return EncodeListCursor("audit", document_id, last_event_id);
}

Result<std::string> DecodeAuditCursor(const AuditPageQuery& q) {
  if (q.limit < 1 || q.limit > kMaxAuditPage) {
    return Status::InvalidInput(fmt::format("limit must be between 1 and {}", kMaxAuditPage));
  }
  if (q.cursor.empty()) return std::string();
  return DecodeListCursor(q.cursor, "audit", q.document_id, "another document's audit trail");
}

}  // namespace docpipe
