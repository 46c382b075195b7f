#include "pipeline/dead_letter_sweeper.h"

#include <fmt/format.h>

#include "pipeline/metrics.h"
#include "pipeline/registrar.h"

namespace docpipe {

namespace {

// Records `rec` (already written) as FAILED by the sweep.
void AuditDeadLetterFailure(EventRecorder& events, const ControlRecord& rec, const QueueMessage& m, int claims) {
  events.Audit(rec, audit_event::kDocumentFailed, rec.error_stage, 0, rec.last_error,
               {{"error_code", "DeadLetter"}, {"receive_count", m.receive_count}, {"claims", claims}});
  events.WriteErrorRecord(rec, rec.error_stage, Status::Internal(rec.last_error));
  events.Count(kMetricDocumentsFailed, 1);
  events.Publish(metric_name::kDocumentsFailed, 1);
}

}  // namespace

int SweepDeadLetters(Services& services, EventRecorder& events, int max_receive_count) {
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
    if (rec.status == DocStatus::kCompleted || rec.status == DocStatus::kSuperseded) {
      // A second message of a finished version (or one that was requeued
      // and finished): nothing to redrive.
      services.queue.DeleteDeadLetter(m.receipt_handle);
      continue;
    }
    // FAILED stays for operators; a live lease has a worker on it.
    if (rec.status == DocStatus::kFailed) continue;
    if (!m.message_id.empty() && rec.requeued_message_id == m.message_id) {
      // Already sent back for this dead letter (by a sweep whose delete did
      // not land, or that another sweep's look raced): only the delete is owed.
      services.queue.DeleteDeadLetter(m.receipt_handle);
      continue;
    }
    if (rec.status == DocStatus::kInProgress && rec.lease_expires_at > now) continue;

    const int claims = rec.claim_message_id == m.message_id && !m.message_id.empty() ? rec.message_claims : 0;
    const std::string stage = rec.current_stage;
    const bool poison = claims >= max_receive_count;
    if (!poison && rec.dead_letter_requeues < rec.max_retries) {
      ControlRecord next = rec;
      next.dead_letter_requeues += 1;
      next.requeued_message_id = m.message_id;
      next.updated_at = now;
      if (!services.control.Update(next).ok()) continue;  // someone else moved it on
      const int64_t delay = next.status == DocStatus::kPending && next.next_attempt_at > now
                                ? next.next_attempt_at - now
                                : 0;
      Status sent = services.queue.Send(WorkMessageBody(id, version), delay);
      if (!sent.ok()) {
        // The dead letter stays: the next sweep tries again.
        services.logger.Warn("dead_letter_requeue_failed", {{"document_id", id}, {"error", sent.ToString()}});
        continue;
      }
      events.Audit(next, audit_event::kRequeued, stage, 0, "",
                   {{"reason", "dead_letter"},
                    {"receive_count", m.receive_count},
                    {"claims", claims},
                    {"dead_letter_requeues", next.dead_letter_requeues}});
      services.queue.DeleteDeadLetter(m.receipt_handle);
      services.logger.Info("dead_letter_requeued", {{"document_id", id},
                                                    {"processing_version", version},
                                                    {"message_id", m.message_id},
                                                    {"receive_count", m.receive_count},
                                                    {"claims", claims}});
      continue;
    }

    rec.status = DocStatus::kFailed;
    rec.last_error =
        poison ? fmt::format("poison message: delivered {} times and claimed {} times without finishing (each time "
                             "the worker died or hung in stage '{}'); the message is in the dead-letter queue",
                             m.receive_count, claims, stage)
               : fmt::format("dead-lettered after {} requeues (the limit, max_retries): delivered {} times but "
                             "claimed only {} times (stage '{}'); the message is in the dead-letter queue",
                             rec.dead_letter_requeues, m.receive_count, claims, stage);
    rec.error_stage = stage;
    rec.lease_owner.clear();
    rec.lease_expires_at = 0;
    rec.updated_at = now;
    if (auto it = rec.stage_status.find(stage); it != rec.stage_status.end()) {
      it->second.status = StageState::kFailed;
      it->second.error = rec.last_error;
    }
    if (!services.control.Update(rec).ok()) continue;  // someone else moved it on
    AuditDeadLetterFailure(events, rec, m, claims);
    services.logger.Warn("dead_letter_failed", {{"document_id", id},
                                                {"processing_version", version},
                                                {"message_id", m.message_id},
                                                {"error", rec.last_error}});
    ++failed;
  }
  return failed;
}

}  // namespace docpipe
