#include "pipeline/document_processor.h"

#include <algorithm>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "common/backoff.h"
#include "pipeline/object_keys.h"
#include "pipeline/metrics.h"
#include "pipeline/registrar.h"
#include "pipeline/takeover_budget.h"

namespace docpipe {

const char* ProcessOutcomeName(ProcessOutcome o) {
  switch (o) {
    case ProcessOutcome::kCompleted: return "completed";
    case ProcessOutcome::kFailed: return "failed";
    case ProcessOutcome::kRetryScheduled: return "retry_scheduled";
    case ProcessOutcome::kReleased: return "released";
    case ProcessOutcome::kSkipped: return "skipped";
    case ProcessOutcome::kBusy: return "busy";
    case ProcessOutcome::kLostClaim: return "lost_claim";
    case ProcessOutcome::kError: return "error";
  }
  return "unknown";
}

// A control record this worker has claimed. Every write of the worker (stage
// transitions and lease heartbeats from another thread) goes through Write(),
// which serialises them and makes each conditional on the revision last seen,
// so a takeover by another worker is detected as a Conflict.
class DocumentProcessor::Claim {
 public:
  Claim(Services& services, ControlRecord rec) : services_(services), rec_(std::move(rec)) {}

  Status Write(const std::function<void(ControlRecord&)>& change) {
    std::lock_guard<std::mutex> lock(mu_);
    if (lost_) return Status::Conflict("claim lost");
    Status st;
    for (int attempt = 1; attempt <= 5; ++attempt) {
      ControlRecord next = rec_;
      change(next);
      next.updated_at = services_.clock.NowMs();
      st = services_.control.Update(next);
      if (st.ok()) {
        rec_ = std::move(next);
        return st;
      }
      if (st.IsConflict() || st.IsNotFound()) {
        lost_ = true;
        return Status::Conflict("claim on " + rec_.document_id + " " + rec_.processing_version +
                                " was taken over: " + st.message());
      }
      if (!st.IsRetryable()) return st;
      services_.clock.SleepMs(100 * attempt);
    }
    return st;
  }

  ControlRecord Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rec_;
  }
  bool lost() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lost_;
  }

 private:
  Services& services_;
  mutable std::mutex mu_;
  ControlRecord rec_;
  bool lost_ = false;
};

namespace {

// Extends the lease and the message visibility while stages run, and turns
// an external cancel, a lost claim or a passed deadline into the stage's
// cancel flag. Its thread waits on the services' clock: every kPollMs it
// looks at the external cancel and the running stage's deadline, every
// `interval_ms` it beats. So a stage that checks its cancel flag stops within
// about kPollMs of its deadline, whatever it is doing.
class Heartbeat {
 public:
  static constexpr int64_t kPollMs = 100;

  Heartbeat(Clock& clock, std::function<bool()> beat, int64_t interval_ms, const std::atomic<bool>& external_cancel,
            std::atomic<bool>& stage_cancel)
      : clock_(clock),
        beat_(std::move(beat)),
        interval_ms_(interval_ms),
        external_(external_cancel),
        stage_cancel_(stage_cancel),
        thread_([this] { Loop(); }) {}

  //! Watches the running stage's deadline (the clock's NowMs) from now on.
  void SetDeadline(TimeMs deadline) {
    deadline_passed_.store(false);
    deadline_.store(deadline);
  }
  //! Stops watching (the stage returned); DeadlinePassed() still tells.
  void ClearDeadline() { deadline_.store(0); }
  //! Whether the watch cancelled the stage because its deadline passed.
  bool DeadlinePassed() const { return deadline_passed_.load(); }
  ~Heartbeat() { Stop(); }

  void Stop() {
    stop_.Stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    int64_t next = clock_.MonotonicMs() + interval_ms_;
    while (!clock_.WaitFor(std::min(kPollMs, std::max<int64_t>(1, next - clock_.MonotonicMs())), stop_)) {
      if (external_.load()) stage_cancel_.store(true);
      const TimeMs deadline = deadline_.load();
      if (deadline > 0 && clock_.NowMs() >= deadline && !deadline_passed_.load()) {
        deadline_passed_.store(true);
        stage_cancel_.store(true);
      }
      if (clock_.MonotonicMs() >= next) {
        if (!beat_()) stage_cancel_.store(true);
        next = clock_.MonotonicMs() + interval_ms_;
      }
    }
  }

  Clock& clock_;
  std::function<bool()> beat_;
  const int64_t interval_ms_;
  const std::atomic<bool>& external_;
  std::atomic<bool>& stage_cancel_;
  std::atomic<TimeMs> deadline_{0};
  std::atomic<bool> deadline_passed_{false};
  StopSignal stop_;
  std::thread thread_;  // last: starts once the members above exist
};

// Retries of a document whose stages passed their deadline.
constexpr int kMaxDeadlineRetries = 1;

// When a COMPLETED record was completed, as its DOCUMENT_COMPLETED event's
// time: the final write's, and after every stage's completion so the event
// ends the trail. The same for every reader of the record (AuditOnce).
TimeMs CompletionTime(const ControlRecord& r) {
  TimeMs t = r.updated_at;
  for (const auto& [unused, s] : r.stage_status) t = std::max(t, s.completed_at + 1);
  return t;
}

void ClearLease(ControlRecord& r) {
  r.lease_owner.clear();
  r.lease_expires_at = 0;
}

std::vector<std::string> StageNames(const std::vector<Stage*>& stages) {
  std::vector<std::string> names;
  for (const Stage* stage : stages) names.push_back(stage->Name());
  return names;
}

}  // namespace

DocumentProcessor::DocumentProcessor(Services& services, EventRecorder& events, std::vector<Stage*> stages,
                                     ProcessorOptions options)
    : services_(services),
      events_(events),
      stages_(std::move(stages)),
      stage_names_(StageNames(stages_)),
      options_(options),
      rng_(std::random_device{}()) {}

int64_t DocumentProcessor::Backoff(int retry) {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return JitteredBackoffMs(retry, options_.retry_base_ms, options_.retry_max_ms, rng_);
}

ProcessOutcome DocumentProcessor::Process(const QueueMessage& message, const std::atomic<bool>& cancel) {
  Logger& log = services_.logger;
  WorkQueue& queue = services_.queue;
  std::string id, version;
  if (!ParseWorkMessage(message.body, &id, &version)) {
    log.Error("malformed_queue_message", {{"message_id", message.message_id}, {"body", message.body.substr(0, 200)}});
    queue.Delete(message.receipt_handle);
    return ProcessOutcome::kSkipped;
  }
  // Deliveries and claims at debug level, so a document's trail in the queue
  // can be traced against its control record (bench/soak keeps these).
  log.Debug("message_received", {{"document_id", id},
                                 {"processing_version", version},
                                 {"message_id", message.message_id},
                                 {"receive_count", message.receive_count}});

  for (int attempt = 0; attempt < 10; ++attempt) {
    Result<ControlRecord> got = services_.control.Get(id, version);
    if (!got.ok()) {
      if (got.status().IsNotFound()) {
        log.Warn("message_for_unknown_document", {{"document_id", id}, {"processing_version", version}});
        queue.Delete(message.receipt_handle);
        return ProcessOutcome::kSkipped;
      }
      log.Error("control_read_failed", {{"document_id", id}, {"error", got.status().ToString()}});
      return ProcessOutcome::kError;
    }
    ControlRecord rec = std::move(*got);
    const TimeMs now = services_.clock.NowMs();
    bool lease_expired = false;
    switch (rec.status) {
      case DocStatus::kCompleted:
        // Perhaps its worker was killed between the control write and the
        // audit events (the message is deleted last): record what is owed.
        RecordOwedCompletions(rec);
        events_.AuditOnce(rec, audit_event::kDocumentCompleted, "", CompletionTime(rec), 0,
                          {{"pages", rec.page_count}, {"chunks", rec.chunk_count}});
        CountCompletion(rec);
        queue.Delete(message.receipt_handle);
        return ProcessOutcome::kSkipped;
      case DocStatus::kFailed:
      case DocStatus::kSuperseded:
        // At-least-once delivery: a finished version needs no work.
        queue.Delete(message.receipt_handle);
        return ProcessOutcome::kSkipped;
      case DocStatus::kPending:
        if (rec.next_attempt_at > now) {
          queue.ChangeVisibility(message.receipt_handle, rec.next_attempt_at - now);
          return ProcessOutcome::kBusy;
        }
        break;
      case DocStatus::kInProgress:
        if (rec.lease_expires_at > now) {
          queue.ChangeVisibility(message.receipt_handle, rec.lease_expires_at - now + 1000);
          return ProcessOutcome::kBusy;
        }
        lease_expired = true;
        break;
    }

    // A newer version makes this one moot; its outputs would be overwritten.
    Result<ControlRecord> latest = services_.control.GetLatest(id);
    if (latest.ok() && latest->processing_version > rec.processing_version) {
      ControlRecord next = rec;
      next.status = DocStatus::kSuperseded;
      ClearLease(next);
      next.updated_at = now;
      if (services_.control.Update(next).ok()) {
        events_.Audit(next, audit_event::kSuperseded, "", 0, "",
                      {{"superseded_by", latest->processing_version}});
        queue.Delete(message.receipt_handle);
        return ProcessOutcome::kSkipped;
      }
      continue;  // someone changed it meanwhile: look again
    }

    ControlRecord next = rec;
    const std::string previous_owner = rec.lease_owner;
    if (lease_expired) {
      // A stage that kills its workers fails the version; kills spread over
      // stages (bench/soak's doc-0776) only once they pass the overall cap.
      TakeoverVerdict verdict = CountTakeover(rec, stage_names_, next);
      if (verdict.give_up) {
        next.status = DocStatus::kFailed;
        next.last_error = verdict.error;
        next.error_stage = rec.current_stage;
        ClearLease(next);
        next.updated_at = now;
        if (!services_.control.Update(next).ok()) continue;
        events_.Audit(next, audit_event::kLeaseExpired, rec.current_stage, 0, "",
                      {{"previous_owner", previous_owner}});
        events_.Audit(next, audit_event::kDocumentFailed, rec.current_stage, 0, next.last_error);
        events_.WriteErrorRecord(next, rec.current_stage, Status::Timeout(next.last_error));
        events_.Count(kMetricDocumentsFailed, 1);
        events_.Publish(metric_name::kDocumentsFailed, 1);
        queue.Delete(message.receipt_handle);
        return ProcessOutcome::kFailed;
      }
    }
    next.status = DocStatus::kInProgress;
    next.lease_owner = events_.worker_id();
    next.lease_expires_at = now + options_.lease_ms;
    next.next_attempt_at = 0;
    next.updated_at = now;
    // Claims per message, for the dead-letter sweep: a message dead-lettered
    // with fewer claims than deliveries lost some deliveries on the way.
    if (next.claim_message_id != message.message_id || message.message_id.empty()) {
      next.claim_message_id = message.message_id;
      next.message_claims = 0;
    }
    next.message_claims += 1;
    Status claimed = services_.control.Update(next);
    if (claimed.IsConflict()) continue;  // lost the race; re-read and decide again
    if (!claimed.ok()) {
      log.Error("claim_failed", {{"document_id", id}, {"error", claimed.ToString()}});
      return ProcessOutcome::kError;
    }
    // The receive hid the message for a lease from the receive; the lease
    // runs from the claim. Until the first heartbeat the message would show
    // again before the lease it guards expires, and a worker killed then
    // would cost the document two deliveries (the second finds the lease
    // live) towards the dead-letter queue's count.
    queue.ChangeVisibility(message.receipt_handle, options_.lease_ms);
    log.Debug("document_claimed", {{"document_id", id},
                                   {"processing_version", version},
                                   {"message_id", message.message_id},
                                   {"message_claims", next.message_claims},
                                   {"takeover", lease_expired}});
    // These writes run under the heartbeat (RunStages calls them once it
    // beats): through a slow or faulty service they can outlast the lease,
    // and another worker would take over a live document.
    auto after_claim = [&](const ControlRecord& claimed_rec) {
      if (lease_expired) {
        events_.Audit(claimed_rec, audit_event::kLeaseExpired, rec.current_stage, 0, "",
                      {{"previous_owner", previous_owner}, {"retry_count", claimed_rec.retry_count}});
      }
      RecordOwedCompletions(claimed_rec);  // stages an earlier, interrupted attempt finished
    };
    Claim claim(services_, std::move(next));
    return RunStages(claim, message, cancel, after_claim);
  }
  log.Warn("claim_contended", {{"document_id", id}, {"processing_version", version}});
  return ProcessOutcome::kBusy;
}

ProcessOutcome DocumentProcessor::RunStages(Claim& claim, const QueueMessage& message,
                                            const std::atomic<bool>& cancel,
                                            const std::function<void(const ControlRecord&)>& after_claim) {
  WorkQueue& queue = services_.queue;
  Clock& clock = services_.clock;
  const TimeMs document_start = clock.NowMs();
  const TimeMs document_deadline = document_start + options_.document_timeout_ms;
  std::atomic<bool> stage_cancel{false};
  Heartbeat heartbeat(
      clock,
      [&] {
        Status st = claim.Write([&](ControlRecord& r) { r.lease_expires_at = clock.NowMs() + options_.lease_ms; });
        queue.ChangeVisibility(message.receipt_handle, options_.lease_ms);
        return !st.IsConflict();
      },
      options_.heartbeat_ms, cancel, stage_cancel);
  after_claim(claim.Snapshot());

  int64_t tokens = 0;
  double cost_usd = 0;
  double comprehend_calls = 0;  // enrich on Comprehend: the daily "comprehend_calls"
  for (Stage* stage : stages_) {
    const std::string name = stage->Name();
    ControlRecord snapshot = claim.Snapshot();
    auto it = snapshot.stage_status.find(name);
    if (it != snapshot.stage_status.end() && it->second.status == StageState::kCompleted) continue;  // resumed
    if (cancel.load()) stage_cancel.store(true);

    const TimeMs started = clock.NowMs();
    Status st = claim.Write([&](ControlRecord& r) {
      StageStatus& s = r.stage_status[name];
      s.status = StageState::kInProgress;
      s.started_at = started;
      s.completed_at = 0;
      s.duration_ms = 0;
      s.error.clear();
      s.attempts += 1;
      r.current_stage = name;
    });
    if (st.IsConflict()) return ProcessOutcome::kLostClaim;
    if (!st.ok()) return ProcessOutcome::kError;
    snapshot = claim.Snapshot();
    events_.Audit(snapshot, audit_event::kStageStarted, name);

    const TimeMs stage_deadline = std::min(started + options_.stage_timeout_ms, document_deadline);
    heartbeat.SetDeadline(stage_deadline);
    StageContext ctx{snapshot, stage_deadline, &stage_cancel};
    Result<StageResult> result = stage->Run(ctx);
    heartbeat.ClearDeadline();
    if (result.ok() && heartbeat.DeadlinePassed()) {
      // Done just as the watch fired: the next stage must not inherit the flag.
      stage_cancel.store(cancel.load() || claim.lost());
    }
    // A stage that watches the clock itself (the PDF reader) can see the
    // deadline pass a moment before the heartbeat's watch does.
    const bool timed_out_at_deadline = !result.ok() && result.status().code() == Status::Code::kTimeout &&
                                       clock.NowMs() >= stage_deadline;
    if (!result.ok() && (heartbeat.DeadlinePassed() || timed_out_at_deadline) && !cancel.load()) {
      // Cancelled by the deadline watch (or timed out on its own): one error
      // for both, naming the limit that was passed.
      const bool whole = document_deadline <= started + options_.stage_timeout_ms;
      result = Status::Timeout(fmt::format(
          "{}: {} passed its deadline ({} of {} s, set by {}): {}", snapshot.source_key, name,
          whole ? "the document's limit" : "the stage limit",
          (whole ? options_.document_timeout_ms : options_.stage_timeout_ms) / 1000,
          whole ? "pipeline.document_timeout_seconds" : "pipeline.stage_timeout_seconds", result.status().message()));
    }
    const TimeMs finished = clock.NowMs();
    const int64_t duration = finished - started;

    if (claim.lost()) {
      services_.logger.Warn("claim_lost", {{"document_id", snapshot.document_id},
                                           {"processing_version", snapshot.processing_version},
                                           {"stage", name}});
      return ProcessOutcome::kLostClaim;
    }
    if (!result.ok()) {
      heartbeat.Stop();
      if (cancel.load() && (result.status().code() == Status::Code::kCancelled ||
                            result.status().code() == Status::Code::kTimeout)) {
        // Shutdown: hand the document back untouched for another worker.
        Status released = claim.Write([&](ControlRecord& r) {
          StageStatus& s = r.stage_status[name];
          s.status = StageState::kPending;
          s.attempts = std::max(0, s.attempts - 1);
          r.status = DocStatus::kPending;
          ClearLease(r);
        });
        queue.ChangeVisibility(message.receipt_handle, 0);
        services_.logger.Info("document_released", {{"document_id", snapshot.document_id},
                                                     {"processing_version", snapshot.processing_version},
                                                     {"stage", name},
                                                     {"ok", released.ok()}});
        return ProcessOutcome::kReleased;
      }
      return FinishFailure(claim, message, name, result.status());
    }

    st = claim.Write([&](ControlRecord& r) {
      StageStatus& s = r.stage_status[name];
      s.status = StageState::kCompleted;
      s.completed_at = finished;
      s.duration_ms = duration;
      s.output_key = result->output_key;
      const int timeouts = s.metrics.is_object() ? s.metrics.value("deadline_timeouts", 0) : 0;
      s.metrics = result->metrics;
      if (timeouts > 0 && s.metrics.is_object()) s.metrics["deadline_timeouts"] = timeouts;  // still counted
      if (result->pages >= 0) r.page_count = result->pages;
      if (result->chunks >= 0) r.chunk_count = result->chunks;
    });
    if (st.IsConflict()) return ProcessOutcome::kLostClaim;
    if (!st.ok()) return ProcessOutcome::kError;
    if (result->tokens > 0) tokens += result->tokens;
    cost_usd += result->cost_usd;
    if (auto calls = result->metrics.find("comprehend_calls"); calls != result->metrics.end() && calls->is_number()) {
      comprehend_calls += calls->get<double>();
    }
    events_.AuditOnce(claim.Snapshot(), audit_event::kStageCompleted, name, finished, duration, result->metrics);
    events_.Count(StageDurationBucketMetric(name, duration), 1);
    events_.Publish(metric_name::kStageDuration, static_cast<double>(duration), "Milliseconds", {{metric_name::kStageDimension, name}});
  }

  heartbeat.Stop();
  Status st = claim.Write([&](ControlRecord& r) {
    r.status = DocStatus::kCompleted;
    r.current_stage.clear();
    r.last_error.clear();
    r.error_stage.clear();
    ClearLease(r);
  });
  if (st.IsConflict()) return ProcessOutcome::kLostClaim;
  if (!st.ok()) return ProcessOutcome::kError;
  ControlRecord done = claim.Snapshot();
  services_.store.Delete(ErrorKey(done.document_id));  // an earlier failure no longer applies
  events_.AuditOnce(done, audit_event::kDocumentCompleted, "", CompletionTime(done), clock.NowMs() - document_start,
                    {{"pages", done.page_count}, {"chunks", done.chunk_count}});
  CountCompletion(done);
  events_.Publish(metric_name::kDocumentsProcessed, 1);
  events_.Publish(metric_name::kPagesProcessed, static_cast<double>(done.page_count));
  if (tokens > 0) events_.Count(kMetricTokens, static_cast<double>(tokens));
  if (cost_usd > 0) events_.Count("cost_usd", cost_usd);
  if (comprehend_calls > 0) events_.Count("comprehend_calls", comprehend_calls);
  queue.Delete(message.receipt_handle);
  return ProcessOutcome::kCompleted;
}

void DocumentProcessor::CountCompletion(const ControlRecord& done) {
  events_.CountOnce(CompletionTime(done), done.document_id + "/" + done.processing_version + "/completed",
                    {{kMetricDocumentsCompleted, 1},
                     {kMetricPages, static_cast<double>(done.page_count)},
                     {kMetricChunks, static_cast<double>(done.chunk_count)}});
}

void DocumentProcessor::RecordOwedCompletions(const ControlRecord& rec) {
  for (const auto& [name, s] : rec.stage_status) {
    if (s.status != StageState::kCompleted || s.completed_at <= 0) continue;
    events_.AuditOnce(rec, audit_event::kStageCompleted, name, s.completed_at, s.duration_ms,
                      s.metrics.is_object() ? s.metrics : nlohmann::json::object());
  }
}

ProcessOutcome DocumentProcessor::FinishFailure(Claim& claim, const QueueMessage& message,
                                                const std::string& stage, const Status& error) {
  ControlRecord before = claim.Snapshot();
  const TimeMs now = services_.clock.NowMs();
  const std::string text = CapError(error.message());
  // A deadline passed may be bad luck (a slow service) or the document
  // itself: it gets one more try, never more, whatever max_retries says.
  int timeouts = error.code() == Status::Code::kTimeout ? 1 : 0;
  for (const auto& [unused, s] : before.stage_status) {
    if (s.metrics.is_object()) timeouts += s.metrics.value("deadline_timeouts", 0);
  }
  const int retried = FailureRetries(before);  // lost workers have a budget of their own
  const bool retry = error.IsRetryable() && retried < before.max_retries &&
                     (error.code() != Status::Code::kTimeout || timeouts <= kMaxDeadlineRetries);
  const int64_t delay = retry ? Backoff(retried + 1) : 0;
  const StageStatus& prior = before.stage_status[stage];
  const int64_t duration = prior.started_at > 0 ? now - prior.started_at : 0;

  Status st = claim.Write([&](ControlRecord& r) {
    StageStatus& s = r.stage_status[stage];
    s.status = StageState::kFailed;
    s.completed_at = now;
    s.duration_ms = duration;
    s.error = text;
    if (error.code() == Status::Code::kTimeout) {
      if (!s.metrics.is_object()) s.metrics = nlohmann::json::object();
      s.metrics["deadline_timeouts"] = s.metrics.value("deadline_timeouts", 0) + 1;
    }
    r.last_error = text;
    r.error_stage = stage;
    ClearLease(r);
    if (retry) {
      r.retry_count += 1;
      r.status = DocStatus::kPending;
      r.next_attempt_at = now + delay;
    } else {
      r.status = DocStatus::kFailed;
    }
  });
  if (st.IsConflict()) return ProcessOutcome::kLostClaim;
  if (!st.ok()) return ProcessOutcome::kError;
  ControlRecord after = claim.Snapshot();
  events_.Audit(after, audit_event::kStageFailed, stage, duration, text, {{"error_code", CodeName(error.code())}});
  if (retry) {
    events_.Audit(after, audit_event::kRetryScheduled, stage, 0, "",
                  {{"retry_count", after.retry_count}, {"delay_ms", delay}});
    events_.Count("retries", 1);
    // A fresh message so that receive counts measure crashes, not retries.
    Status sent = services_.queue.Send(WorkMessageBody(after.document_id, after.processing_version), delay);
    if (sent.ok()) {
      services_.queue.Delete(message.receipt_handle);
    } else {
      services_.queue.ChangeVisibility(message.receipt_handle, delay);
    }
    return ProcessOutcome::kRetryScheduled;
  }
  events_.Audit(after, audit_event::kDocumentFailed, stage, 0, text, {{"error_code", CodeName(error.code())}});
  events_.WriteErrorRecord(after, stage, error);
  events_.Count(kMetricDocumentsFailed, 1);
  events_.Publish(metric_name::kDocumentsFailed, 1);
  services_.queue.Delete(message.receipt_handle);
  return ProcessOutcome::kFailed;
}

}  // namespace docpipe
