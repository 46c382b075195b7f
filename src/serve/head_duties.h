#pragma once

#include <atomic>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

// Daily figures only the head computes (metrics-table names). They are
// snapshots, written with MetricsTable::Set so a rollup is idempotent.
namespace head_metric {
inline constexpr const char* kDocumentsPrefix = "head_documents_";  // + pending, in_progress, completed, ...
inline constexpr const char* kQueueVisible = "head_queue_visible";
inline constexpr const char* kQueueInFlight = "head_queue_in_flight";
inline constexpr const char* kQueueDelayed = "head_queue_delayed";
inline constexpr const char* kDeadLetters = "head_dead_letters";
inline constexpr const char* kLatencyCount = "head_document_latency_count";
inline constexpr const char* kLatencyP50 = "head_document_latency_p50_ms";
inline constexpr const char* kLatencyP95 = "head_document_latency_p95_ms";
}  // namespace head_metric

// "head_documents_in_progress" for kInProgress.
std::string HeadDocumentsMetric(DocStatus status);

struct HeadOptions {
  //! How long after a lease expired the head steps in. The queue's
  //! visibility timeout (= the lease) by default, so the normal redelivery
  //! to a worker gets its chance first.
  int64_t grace_ms = 60'000;
};

struct RequeueReport {
  int stuck = 0;            // IN_PROGRESS versions whose lease expired more than the grace ago
  int requeued = 0;         // put back to PENDING with a new work message
  int failed = 0;           // out of retries: FAILED instead
  int message_pending = 0;  // left alone: the queue still holds their message
  int errors = 0;           // a table or queue call failed; tried again next run
};

struct RollupReport {
  std::string date;                        // "YYYY-MM-DD" (UTC), today by the clock
  std::map<std::string, double> figures;  // what was written, by metric name
};

nlohmann::json ToJson(const RequeueReport& r);
nlohmann::json ToJson(const RollupReport& r);

// The periodic work of the head service (`docpipe serve`): rescue versions
// stuck IN_PROGRESS, and roll up the daily figures workers cannot count.
// Safe to run from several heads at once: claims and rescues are conditional
// writes and the rollup writes the same values. Thread-safe.
class HeadDuties {
 public:
  HeadDuties(Services& services, EventRecorder& events, HeadOptions options);

  //! Finds IN_PROGRESS versions whose lease expired more than grace_ms ago
  //! and whose message is not (as far as the queue can tell) still queued,
  //! and puts each back: PENDING with one more takeover counted exactly as a
  //! worker's takeover counts it (CountTakeover: against the stage found in
  //! progress), REQUEUED in the audit, a new work message. A version whose
  //! budget that spends is FAILED instead, as a worker's takeover would fail
  //! it, so a document that keeps losing its worker is not requeued forever
  //! and kills spread over stages are not its fault. Errors of single versions are counted and
  //! logged; the whole call fails only when the control table cannot be read.
  Result<RequeueReport> RequeueStuck();

  //! Writes today's head figures into the metrics table (see head_metric):
  //! documents by status (latest version of each), queue depth and dead
  //! letters, and the time from registration to COMPLETED (count, p50, p95)
  //! of the versions completed today. Idempotent for an unchanged state.
  Result<RollupReport> RollUp();

  //! Both duties; logs what they did. False when either failed.
  bool RunOnce();

  //! Totals since start, for /metrics.
  int64_t requeued_total() const { return requeued_total_.load(); }
  int64_t failed_total() const { return failed_total_.load(); }
  int64_t runs_total() const { return runs_total_.load(); }
  TimeMs last_run_at() const { return last_run_at_.load(); }

 private:
  // One stuck version; adds to `report`.
  void Rescue(const ControlRecord& stuck, RequeueReport& report);

  Services& services_;
  EventRecorder& events_;
  const HeadOptions options_;
  std::atomic<int64_t> requeued_total_{0};
  std::atomic<int64_t> failed_total_{0};
  std::atomic<int64_t> runs_total_{0};
  std::atomic<TimeMs> last_run_at_{0};
};

}  // namespace docpipe
