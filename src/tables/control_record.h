#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace docpipe {

enum class DocStatus { kPending, kInProgress, kCompleted, kFailed, kSuperseded };

const char* DocStatusName(DocStatus s);  // "PENDING", "IN_PROGRESS", ...
std::optional<DocStatus> ParseDocStatus(const std::string& s);

// Where one stage of a document version stands.
enum class StageState { kPending, kInProgress, kCompleted, kFailed };

const char* StageStateName(StageState s);  // "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"
std::optional<StageState> ParseStageState(const std::string& s);

// Per-stage progress inside a control record.
struct StageStatus {
  StageState status = StageState::kPending;
  TimeMs started_at = 0;           // 0 = not yet
  TimeMs completed_at = 0;
  int64_t duration_ms = 0;
  int attempts = 0;
  // Takeovers that found this stage in progress: its worker lost or stalled
  // past the lease. The retry budget for interruptions is per stage, so a
  // stage that kills its workers is told from kills spread over stages.
  int interruptions = 0;
  std::string output_key;
  std::string error;
  nlohmann::json metrics = nlohmann::json::object();  // stage-specific figures
};

// One row of the control table: one document version. Field names are the
// stable interface (status --json, DynamoDB attributes); see docs/schema.md.
struct ControlRecord {
  std::string document_id;
  std::string processing_version;  // zero-padded decimal, "000001"; sorts as a string
  std::string source_key;          // "input/..."
  int64_t source_size = 0;
  std::string content_sha256;     // "" when unknown (registered from an event, not read)
  std::string source_etag;        // store ETag without quotes, when registered from an event
  DocStatus status = DocStatus::kPending;
  std::string current_stage;  // stage running or next to run; "" before the first
  std::map<std::string, StageStatus> stage_status;
  int retry_count = 0;  // retries of any cause: failures retried plus takeovers
  int max_retries = 3;
  // Of retry_count, the takeovers: a worker or the head service found the
  // lease expired. Counted apart so that lost workers do not use up the
  // retries a retryable failure is owed (absent in records before issue 17).
  int takeovers = 0;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  int64_t ttl = 0;  // epoch seconds after which the record may be expired; 0 = never
  std::string last_error;
  std::string error_stage;
  std::string lease_owner;     // worker id holding the claim, "" when unclaimed
  TimeMs lease_expires_at = 0;
  TimeMs next_attempt_at = 0;  // earliest time a retry may run
  int64_t page_count = 0;
  int64_t chunk_count = 0;
  // The queue counts deliveries, and a delivery whose answer was lost on the
  // way counts as well. These say how many deliveries a worker actually
  // claimed: `message_claims` claims from the message `claim_message_id`
  // (the dead-letter sweep compares them with the dead letter's receives).
  std::string claim_message_id;
  int message_claims = 0;
  int dead_letter_requeues = 0;  // times the dead-letter sweep sent the version back
  std::string requeued_message_id;  // the dead letter it last sent it back for
  int64_t revision = 0;  // optimistic-concurrency counter, bumped by every write
};

nlohmann::json ToJson(const ControlRecord& r);
Result<ControlRecord> ControlRecordFromJson(const nlohmann::json& j);

std::string FormatVersion(int64_t n);  // 1 -> "000001"

// Item-size budget (docs/schema.md): ToJson truncates every error string to
// kMaxErrorChars so a record stays far below DynamoDB's 400 KB item limit;
// table adapters reject serialized items above kMaxItemBytes.
inline constexpr size_t kMaxErrorChars = 2000;
inline constexpr size_t kMaxItemBytes = 64 * 1024;

// `error` cut to kMaxErrorChars bytes without splitting a UTF-8 sequence.
std::string CapError(const std::string& error);

// One audit-table item: a state transition.
struct AuditEvent {
  std::string document_id;
  std::string event_id;  // time-ordered sort key: ISO time + '#' + random suffix
  std::string processing_version;
  std::string event_type;  // DOCUMENT_RECEIVED, STAGE_STARTED, ... (docs/schema.md)
  std::string stage;
  TimeMs time = 0;
  std::string worker_id;
  int64_t duration_ms = 0;
  std::string error;
  nlohmann::json details = nlohmann::json::object();
  int64_t ttl = 0;
};

nlohmann::json ToJson(const AuditEvent& e);
Result<AuditEvent> AuditEventFromJson(const nlohmann::json& j);

}  // namespace docpipe
