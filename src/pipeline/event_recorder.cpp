#include "pipeline/event_recorder.h"

#include "common/backoff.h"
#include "common/hash.h"
#include "pipeline/object_keys.h"

namespace docpipe {

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
  e.event_id = FormatIso8601(time) + "#" +
               Sha256Hex(rec.processing_version + "/" + event_type + "/" + stage).substr(0, 8);
  Record(std::move(e), true);
}

void EventRecorder::Record(AuditEvent e, bool once) {
  const std::string event_id = e.event_id;
  Status st;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    st = RetryTransient(services_.clock, rng_, 5, [&] {
      e.event_id = event_id;
      return services_.audit.Append(e);
    });
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
