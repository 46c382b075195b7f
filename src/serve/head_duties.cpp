#include "serve/head_duties.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "pipeline/metrics.h"
#include "pipeline/registrar.h"
#include "pipeline/stage.h"
#include "pipeline/takeover_budget.h"

namespace docpipe {
namespace {

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1]);
}

}  // namespace

std::string HeadDocumentsMetric(DocStatus status) {
  std::string name = DocStatusName(status);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return head_metric::kDocumentsPrefix + name;
}

nlohmann::json ToJson(const RequeueReport& r) {
  return {{"stuck", r.stuck},
          {"requeued", r.requeued},
          {"failed", r.failed},
          {"message_pending", r.message_pending},
          {"errors", r.errors}};
}

nlohmann::json ToJson(const RollupReport& r) { return {{"date", r.date}, {"figures", r.figures}}; }

HeadDuties::HeadDuties(Services& services, EventRecorder& events, HeadOptions options)
    : services_(services), events_(events), options_(options) {}

Result<RequeueReport> HeadDuties::RequeueStuck() {
  Result<std::vector<ControlRecord>> in_progress = services_.control.List(DocStatus::kInProgress, 1 << 30);
  if (!in_progress.ok()) return in_progress.status().Annotate("listing IN_PROGRESS versions");
  RequeueReport report;
  const TimeMs now = services_.clock.NowMs();
  for (const ControlRecord& rec : *in_progress) {
    // Within the grace the queue redelivers the message to a worker, which
    // takes the version over itself.
    if (rec.lease_expires_at + options_.grace_ms > now) continue;
    ++report.stuck;
    Rescue(rec, report);
  }
  requeued_total_ += report.requeued;
  failed_total_ += report.failed;
  return report;
}

void HeadDuties::Rescue(const ControlRecord& stuck, RequeueReport& report) {
  Logger& log = services_.logger;
  const nlohmann::json ids = {{"document_id", stuck.document_id}, {"processing_version", stuck.processing_version}};
  auto failed_call = [&](const char* what, const Status& st) {
    nlohmann::json f = ids;
    f["error"] = st.ToString();
    log.Warn(what, std::move(f));
    ++report.errors;
  };
  const std::string body = WorkMessageBody(stuck.document_id, stuck.processing_version);
  Result<std::optional<bool>> pending = services_.queue.HasMessage(body);
  if (!pending.ok()) return failed_call("head_queue_lookup_failed", pending.status());
  if (pending->value_or(false)) {
    // Its message is queued or held by a worker: the normal takeover will come.
    ++report.message_pending;
    return;
  }
  const TimeMs now = services_.clock.NowMs();
  ControlRecord next = stuck;
  // Counted as a worker's takeover counts it (the same per-stage budget).
  TakeoverVerdict verdict =
      CountTakeover(stuck, std::vector<std::string>(kPipelineStages.begin(), kPipelineStages.end()), next);
  next.lease_owner.clear();
  next.lease_expires_at = 0;
  next.next_attempt_at = 0;
  next.updated_at = now;
  const nlohmann::json details = {{"previous_owner", stuck.lease_owner},
                                  {"lease_expired_at", FormatIso8601(stuck.lease_expires_at)},
                                  {"retry_count", next.retry_count},
                                  {"requested_by", "docpipe serve"}};
  if (verdict.give_up) {
    next.status = DocStatus::kFailed;
    next.last_error = verdict.error;
    next.error_stage = stuck.current_stage;
    Status st = services_.control.Update(next);
    if (st.IsConflict()) return;  // a worker moved it on meanwhile
    if (!st.ok()) return failed_call("head_fail_write_failed", st);
    events_.Audit(next, audit_event::kLeaseExpired, stuck.current_stage, 0, "", details);
    events_.Audit(next, audit_event::kDocumentFailed, stuck.current_stage, 0, next.last_error);
    events_.WriteErrorRecord(next, stuck.current_stage, Status::Timeout(next.last_error));
    events_.Count(kMetricDocumentsFailed, 1);
    events_.Publish(metric_name::kDocumentsFailed, 1);
    ++report.failed;
    return;
  }
  // The message goes out before the record changes: should the write fail,
  // the version is still IN_PROGRESS and the next run (seeing the message on
  // SQLite, or sending one more on SQS) deals with it, instead of a PENDING
  // version without a message. A duplicate message is harmless: claims are
  // conditional writes, so only one worker gets the version, and a message
  // for a finished version is dropped without work.
  Status sent = services_.queue.Send(body, 0);
  if (!sent.ok()) return failed_call("head_requeue_send_failed", sent);
  next.status = DocStatus::kPending;
  Status st = services_.control.Update(next);
  if (st.IsConflict()) return;  // a worker took it over meanwhile (perhaps with our message)
  if (!st.ok()) return failed_call("head_requeue_write_failed", st);
  events_.Audit(next, audit_event::kRequeued, stuck.current_stage, 0, "", details);
  ++report.requeued;
}

Result<RollupReport> HeadDuties::RollUp() {
  RollupReport report;
  const TimeMs now = services_.clock.NowMs();
  report.date = FormatDate(now);
  Result<std::vector<ControlRecord>> all = services_.control.List(std::nullopt, 1 << 30);
  if (!all.ok()) return all.status().Annotate("listing control records");
  std::map<std::string, const ControlRecord*> latest;
  std::vector<int64_t> latencies;
  for (const ControlRecord& r : *all) {
    const ControlRecord*& l = latest[r.document_id];
    if (l == nullptr || l->processing_version < r.processing_version) l = &r;
    if (r.status == DocStatus::kCompleted && FormatDate(r.updated_at) == report.date) {
      latencies.push_back(std::max<int64_t>(0, r.updated_at - r.created_at));
    }
  }
  for (DocStatus s : {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted, DocStatus::kFailed,
                      DocStatus::kSuperseded}) {
    report.figures[HeadDocumentsMetric(s)] = 0;
  }
  for (const auto& [id, r] : latest) report.figures[HeadDocumentsMetric(r->status)] += 1;
  std::sort(latencies.begin(), latencies.end());
  report.figures[head_metric::kLatencyCount] = static_cast<double>(latencies.size());
  report.figures[head_metric::kLatencyP50] = Percentile(latencies, 0.50);
  report.figures[head_metric::kLatencyP95] = Percentile(latencies, 0.95);
  Result<QueueStats> stats = services_.queue.Stats();
  if (stats.ok()) {
    report.figures[head_metric::kQueueVisible] = static_cast<double>(stats->visible);
    report.figures[head_metric::kQueueInFlight] = static_cast<double>(stats->in_flight);
    report.figures[head_metric::kQueueDelayed] = static_cast<double>(stats->delayed);
    report.figures[head_metric::kDeadLetters] = static_cast<double>(stats->dead);
  } else {
    // The other figures are still worth writing; the queue's stay as they were.
    services_.logger.Warn("head_queue_stats_failed", {{"error", stats.status().ToString()}});
  }
  for (const auto& [name, value] : report.figures) {
    Status st = services_.metrics.Set(report.date, name, value);
    if (!st.ok()) return st.Annotate("writing metric " + name);
  }
  return report;
}

bool HeadDuties::RunOnce() {
  bool ok = true;
  Result<RequeueReport> requeue = RequeueStuck();
  if (!requeue.ok()) {
    services_.logger.Error("head_requeue_failed", {{"error", requeue.status().ToString()}});
    ok = false;
  } else if (requeue->stuck > 0) {
    services_.logger.Info("head_requeue", ToJson(*requeue));
  }
  Result<RollupReport> rollup = RollUp();
  if (!rollup.ok()) {
    services_.logger.Error("head_rollup_failed", {{"error", rollup.status().ToString()}});
    ok = false;
  } else {
    services_.logger.Debug("head_rollup", ToJson(*rollup));
  }
  ++runs_total_;
  last_run_at_ = services_.clock.NowMs();
  return ok;
}

}  // namespace docpipe
