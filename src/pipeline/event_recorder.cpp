#include "pipeline/event_recorder.h"

#include "common/backoff.h"
#include "pipeline/object_keys.h"

namespace docpipe {

EventRecorder::EventRecorder(Services& services, std::string worker_id, int64_t ttl_days)
    : services_(services), worker_id_(std::move(worker_id)), ttl_days_(ttl_days), rng_(std::random_device{}()) {}

int64_t EventRecorder::TtlFromNow() const {
  if (ttl_days_ <= 0) return 0;
  return services_.clock.NowMs() / 1000 + ttl_days_ * 86400;
}

void EventRecorder::Audit(const ControlRecord& rec, const std::string& event_type, const std::string& stage,
                          int64_t duration_ms, const std::string& error, nlohmann::json details) {
  AuditEvent e;
  e.document_id = rec.document_id;
  e.processing_version = rec.processing_version;
  e.event_type = event_type;
  e.stage = stage;
  e.time = services_.clock.NowMs();
  e.worker_id = worker_id_;
  e.duration_ms = duration_ms;
  e.error = CapError(error);
  e.details = std::move(details);
  e.ttl = TtlFromNow();
  Status st;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    st = RetryTransient(services_.clock, rng_, 5, [&] {
      e.event_id.clear();
      return services_.audit.Append(e);
    });
  }
  nlohmann::json fields = {{"document_id", rec.document_id},
                           {"processing_version", rec.processing_version},
                           {"worker_id", worker_id_}};
  if (!stage.empty()) fields["stage"] = stage;
  if (duration_ms > 0) fields["duration_ms"] = duration_ms;
  if (!error.empty()) fields["error"] = e.error;
  if (!st.ok()) {
    fields["audit_event"] = event_type;
    fields["audit_error"] = st.ToString();
    services_.logger.Error("audit_write_failed", std::move(fields));
    return;
  }
  bool bad = event_type == audit_event::kStageFailed || event_type == audit_event::kDocumentFailed ||
             event_type == audit_event::kLeaseExpired;
  services_.logger.Log(bad ? LogLevel::kWarn : LogLevel::kInfo, event_type, std::move(fields));
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
