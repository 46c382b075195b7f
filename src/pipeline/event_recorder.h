#pragma once

#include <map>
#include <mutex>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/services.h"
#include "tables/control_record.h"

namespace docpipe {

// Audit event type names (docs/schema.md).
namespace audit_event {
inline constexpr const char* kDocumentReceived = "DOCUMENT_RECEIVED";
inline constexpr const char* kStageStarted = "STAGE_STARTED";
inline constexpr const char* kStageCompleted = "STAGE_COMPLETED";
inline constexpr const char* kStageFailed = "STAGE_FAILED";
inline constexpr const char* kDocumentCompleted = "DOCUMENT_COMPLETED";
inline constexpr const char* kDocumentFailed = "DOCUMENT_FAILED";
inline constexpr const char* kDuplicateSkipped = "DUPLICATE_SKIPPED";
inline constexpr const char* kRetryScheduled = "RETRY_SCHEDULED";
inline constexpr const char* kLeaseExpired = "LEASE_EXPIRED";
inline constexpr const char* kSuperseded = "DOCUMENT_SUPERSEDED";
inline constexpr const char* kDeleted = "DOCUMENT_DELETED";
inline constexpr const char* kRequeued = "REQUEUED";  // the head service put a stuck version back
}  // namespace audit_event

// Writes audit events, daily metrics and log lines for one worker, filling
// the fields every event carries. Audit and metric write failures are retried
// briefly, then logged: they never fail the document. Thread-safe.
class EventRecorder {
 public:
  EventRecorder(Services& services, std::string worker_id, int64_t ttl_days);

  const std::string& worker_id() const { return worker_id_; }
  void Audit(const ControlRecord& rec, const std::string& event_type, const std::string& stage = "",
             int64_t duration_ms = 0, const std::string& error = "",
             nlohmann::json details = nlohmann::json::object());
  //! Records a fact that belongs in the trail exactly once however often it
  //! is recorded (a stage's or the document's completion): the event_id is
  //! derived from `time` and what happened instead of drawn at random, so
  //! the worker that takes over from one killed between its control write
  //! and its audit write can record the event owed, and finds it there
  //! (adding nothing) when the killed worker had written it.
  void AuditOnce(const ControlRecord& rec, const std::string& event_type, const std::string& stage, TimeMs time,
                 int64_t duration_ms = 0, nlohmann::json details = nlohmann::json::object());
  //! Adds to today's (UTC) metric row.
  void Count(const std::string& metric, double delta);
  //! Adds `deltas` to the metrics of `time`'s day (UTC) once per `fact`,
  //! however often it is called (MetricsTable::AddOnce): a retry after a lost
  //! answer, or a worker counting what a killed one owed, adds nothing more.
  void CountOnce(TimeMs time, const std::string& fact, const std::map<std::string, double>& deltas);
  //! Sends a live operational metric to the metric sink, when there is one.
  void Publish(const char* name, double value, const char* unit = "Count",
               std::map<std::string, std::string> dimensions = {});
  //! The `ttl` attribute for an item written now (0 when expiry is off).
  int64_t TtlFromNow() const;
  //! Writes errors/<doc_id>.json: why the version failed (logged if the write fails).
  void WriteErrorRecord(const ControlRecord& rec, const std::string& stage, const Status& error);

 private:
  // The fields every event of `rec` carries, from this worker.
  AuditEvent NewEvent(const ControlRecord& rec, const std::string& event_type, const std::string& stage, TimeMs time,
                      int64_t duration_ms, nlohmann::json details) const;
  // Appends `e` (retrying transient errors) and logs it. With `once`, an
  // event already stored under e.event_id counts as recorded.
  void Record(AuditEvent e, bool once);

  Services& services_;
  std::string worker_id_;
  int64_t ttl_days_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};


}  // namespace docpipe
