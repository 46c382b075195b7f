#include "pipeline/event_recorder.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "common/backoff.h"
#include "common/hash.h"
#include "pipeline/object_keys.h"

namespace docpipe {

namespace {

// Two hex digits that order the events of one document written in the same
// millisecond as the pipeline makes them: its arrival, then stage by stage
// (a lease taken back or a requeue, the start, the end, a retry), then its
// end. Event ids are "<ISO time>#<8 hex digits>" and the trail is read in id
// order, so without these a stage's completion (whose digits are a hash) and
// the next stage's start could swap within a millisecond.
std::string OrderDigits(const std::string& event_type, const std::string& stage) {
  using namespace audit_event;
  if (event_type == kDocumentReceived) return "00";
  if (event_type == kDuplicateSkipped) return "01";
  if (event_type == kDocumentCompleted || event_type == kDocumentFailed || event_type == kSuperseded ||
      event_type == kDeleted)
    return "f0";
  static constexpr std::array<std::string_view, 5> kStages = {"extract", "chunk", "enrich", "embed", "load"};
  const size_t index = std::find(kStages.begin(), kStages.end(), stage) - kStages.begin();  // 5: other
  int step = 0;  // kLeaseExpired, kRequeued
  if (event_type == kStageStarted) step = 1;
  else if (event_type == kStageCompleted || event_type == kStageFailed) step = 2;
  else if (event_type == kRetryScheduled) step = 3;
  return fmt::format("{:02x}", 0x10 * (index + 1) + step);
}

}  // namespace

EventRecorder::EventRecorder(Services& services, std::string worker_id, int64_t ttl_days)
    : services_(services), worker_id_(std::move(worker_id)), ttl_days_(ttl_days), rng_(std::random_device{}()) {}

int64_t EventRecorder::TtlFromNow() const {
  if (ttl_days_ <= 0) return 0;
  return services_.clock.NowMs() / 1000 + ttl_days_ * 86400;
}

AuditEvent EventRecorder::NewEvent(const ControlRecord& rec, const std::string& event_type, const std::string& stage,
                                   TimeMs time, int64_t duration_ms, nlohmann::json details) const {
  AuditEvent e;
  e.document_id = rec.document_id;
  e.processing_version = rec.processing_version;
  e.event_type = event_type;
  e.stage = stage;
  e.time = time;
  e.worker_id = worker_id_;
  e.duration_ms = duration_ms;
  e.details = std::move(details);
  e.ttl = TtlFromNow();
  return e;
}

void EventRecorder::Audit(const ControlRecord& rec, const std::string& event_type, const std::string& stage,
                          int64_t duration_ms, const std::string& error, nlohmann::json details) {
  AuditEvent e = NewEvent(rec, event_type, stage, services_.clock.NowMs(), duration_ms, std::move(details));
  e.error = CapError(error);
  Record(std::move(e), false);
}

void EventRecorder::AuditOnce(const ControlRecord& rec, const std::string& event_type, const std::string& stage,
                              TimeMs time, int64_t duration_ms, nlohmann::json details) {
  AuditEvent e = NewEvent(rec, event_type, stage, time, duration_ms, std::move(details));
  // The generated ids' shape (time, '#', 8 hex digits), so the trail's time
  // order and its cursors hold; the digits name the fact.
  e.event_id = FormatIso8601(time) + "#" + OrderDigits(event_type, stage) +
               Sha256Hex(rec.processing_version + "/" + event_type + "/" + stage).substr(0, 6);
  Record(std::move(e), true);
}

void EventRecorder::Record(AuditEvent e, bool once) {
  Status st;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    // A drawn id can only meet another writer's in the same millisecond with
    // the same digits: a fresh draw settles that. A derived one (once) is the
    // same wherever it is written: meeting it means it is recorded.
    for (int draw = 0; draw < 4; ++draw) {
      if (!once) {
        e.event_id = FormatIso8601(e.time) + "#" + OrderDigits(e.event_type, e.stage) +
                     fmt::format("{:06x}", static_cast<uint32_t>(rng_() & 0xffffff));
      }
      const std::string event_id = e.event_id;
      st = RetryTransient(services_.clock, rng_, 5, [&] {
        e.event_id = event_id;
        return services_.audit.Append(e);
      });
      if (once || !st.IsConflict()) break;
    }
  }
  const bool already = once && st.IsConflict();
  nlohmann::json fields = {{"document_id", e.document_id},
                           {"processing_version", e.processing_version},
                           {"worker_id", worker_id_}};
  if (!e.stage.empty()) fields["stage"] = e.stage;
  if (e.duration_ms > 0) fields["duration_ms"] = e.duration_ms;
  if (!e.error.empty()) fields["error"] = e.error;
  if (!st.ok() && !already) {
    fields["audit_event"] = e.event_type;
    fields["audit_error"] = st.ToString();
    services_.logger.Error("audit_write_failed", std::move(fields));
    return;
  }
  if (already) {
    fields["audit_event"] = e.event_type;
    services_.logger.Debug("audit_event_already_recorded", std::move(fields));
    return;
  }
  bool bad = e.event_type == audit_event::kStageFailed || e.event_type == audit_event::kDocumentFailed ||
             e.event_type == audit_event::kLeaseExpired;
  services_.logger.Log(bad ? LogLevel::kWarn : LogLevel::kInfo, e.event_type, std::move(fields));
}

void EventRecorder::Count(const std::string& metric, double delta) {
  const std::string date = FormatDate(services_.clock.NowMs());
  Status st;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    st = RetryTransient(services_.clock, rng_, 5, [&] { return services_.metrics.Add(date, metric, delta); });
  }
  if (!st.ok()) {
    services_.logger.Error("metric_write_failed", {{"metric", metric}, {"error", st.ToString()}});
  }
}

void EventRecorder::CountOnce(TimeMs time, const std::string& fact, const std::map<std::string, double>& deltas) {
  const std::string date = FormatDate(time);
  Status st;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    st = RetryTransient(services_.clock, rng_, 5, [&] { return services_.metrics.AddOnce(date, fact, deltas); });
  }
  if (!st.ok()) {
    services_.logger.Error("metric_write_failed", {{"fact", fact}, {"error", st.ToString()}});
  }
}

void EventRecorder::Publish(const char* name, double value, const char* unit,
                            std::map<std::string, std::string> dimensions) {
  if (services_.metric_sink == nullptr) return;
  services_.metric_sink->Record({name, std::move(dimensions), value, unit, services_.clock.NowMs()});
}

void EventRecorder::WriteErrorRecord(const ControlRecord& rec, const std::string& stage, const Status& error) {
  nlohmann::json err = {{"document_id", rec.document_id},
                        {"processing_version", rec.processing_version},
                        {"source_key", rec.source_key},
                        {"stage", stage},
                        {"error", CapError(error.message())},
                        {"error_code", CodeName(error.code())},
                        {"retry_count", rec.retry_count},
                        {"time", FormatIso8601(services_.clock.NowMs())},
                        {"worker_id", worker_id_}};
  Status st = services_.store.Put(ErrorKey(rec.document_id), err.dump(2));
  if (!st.ok()) {
    services_.logger.Error("error_record_write_failed", {{"document_id", rec.document_id}, {"error", st.ToString()}});
  }
}

}  // namespace docpipe
