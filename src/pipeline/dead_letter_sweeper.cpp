#include "pipeline/dead_letter_sweeper.h"

#include <fmt/format.h>

#include "pipeline/metrics.h"
#include "pipeline/registrar.h"

namespace docpipe {

int SweepDeadLetters(Services& services, EventRecorder& events) {
  Result<std::vector<QueueMessage>> dead = services.queue.PeekDeadLetters(10);
  if (!dead.ok()) {
    services.logger.Warn("dead_letter_peek_failed", {{"error", dead.status().ToString()}});
    return 0;
  }
  int failed = 0;
  for (const QueueMessage& m : *dead) {
    std::string id, version;
    if (!ParseWorkMessage(m.body, &id, &version)) continue;
    Result<ControlRecord> got = services.control.Get(id, version);
    if (!got.ok()) continue;
    ControlRecord rec = std::move(*got);
    const TimeMs now = services.clock.NowMs();
    // Only a version left behind by a dead worker: anything else either
    // finished or still has a live message or owner.
    if (rec.status != DocStatus::kInProgress || rec.lease_expires_at > now) continue;
    const std::string stage = rec.current_stage;
    rec.status = DocStatus::kFailed;
    rec.last_error = fmt::format(
        "poison message: delivered {} times without finishing (each time the worker died or hung in stage '{}'); "
        "the message is in the dead-letter queue",
        m.receive_count, stage);
    rec.error_stage = stage;
    rec.lease_owner.clear();
    rec.lease_expires_at = 0;
    rec.updated_at = now;
    if (auto it = rec.stage_status.find(stage); it != rec.stage_status.end()) {
      it->second.status = StageState::kFailed;
      it->second.error = rec.last_error;
    }
    if (!services.control.Update(rec).ok()) continue;  // someone else moved it on
    events.Audit(rec, audit_event::kDocumentFailed, stage, 0, rec.last_error,
                 {{"error_code", "DeadLetter"}, {"receive_count", m.receive_count}});
    events.WriteErrorRecord(rec, stage, Status::Internal(rec.last_error));
    events.Count(kMetricDocumentsFailed, 1);
    events.Publish(metric_name::kDocumentsFailed, 1);
    ++failed;
  }
  return failed;
}

}  // namespace docpipe
