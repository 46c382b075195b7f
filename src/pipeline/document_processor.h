#pragma once

#include <atomic>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "pipeline/event_recorder.h"
#include "pipeline/services.h"
#include "pipeline/stage.h"
#include "queue/work_queue.h"

namespace docpipe {

struct ProcessorOptions {
  int64_t lease_ms = 60'000;
  int64_t heartbeat_ms = 20'000;
  int64_t retry_base_ms = 1'000;
  int64_t retry_max_ms = 60'000;
  int64_t stage_timeout_ms = 600'000;
  int64_t document_timeout_ms = 1'800'000;
};

// What Process() did with a message.
enum class ProcessOutcome {
  kCompleted,       // every stage done; message deleted
  kFailed,          // permanently failed; message deleted
  kRetryScheduled,  // failed a stage; the message returns after a backoff
  kReleased,        // shutdown: claim and message released for another worker
  kSkipped,         // nothing to do (finished, superseded, unknown); message deleted
  kBusy,            // another worker holds a live claim; message hidden until its lease ends
  kLostClaim,       // our lease was taken over while we worked
  kError,           // the tables/queue failed; the message will be redelivered
};

const char* ProcessOutcomeName(ProcessOutcome o);

// Runs the stages of one document version named by a queue message: claims
// the control record (conditional PENDING -> IN_PROGRESS with a lease), keeps
// the lease and the message's visibility alive while stages run, records
// every transition, and finishes, retries or releases. Thread-safe: one
// instance serves all worker threads of a process.
class DocumentProcessor {
 public:
  DocumentProcessor(Services& services, EventRecorder& events, std::vector<Stage*> stages,
                    ProcessorOptions options);

  //! `drain`: stop taking new work is the pool's business; once set,
  //! `cancel` asks running stages to stop and the document to be released.
  ProcessOutcome Process(const QueueMessage& message, const std::atomic<bool>& cancel);

 private:
  class Claim;
  // Runs the stages left under a heartbeat that starts before `after_claim`
  // (the claim's own writes), so the lease is extended from the claim on.
  ProcessOutcome RunStages(Claim& claim, const QueueMessage& message, const std::atomic<bool>& cancel,
                           const std::function<void(const ControlRecord&)>& after_claim);
  // Records, once, the STAGE_COMPLETED events of the stages `rec` holds as
  // completed: a worker killed between its control write and its audit write
  // owes them (EventRecorder::AuditOnce).
  void RecordOwedCompletions(const ControlRecord& rec);
  // Counts a COMPLETED version in the daily metrics (documents_completed,
  // pages, chunks) on the day it completed, once per version: the worker
  // that completes it and any that later finds it completed (its worker
  // killed before counting) call it; MetricsTable::AddOnce keeps it to one.
  void CountCompletion(const ControlRecord& done);
  ProcessOutcome FinishFailure(Claim& claim, const QueueMessage& message, const std::string& stage,
                               const Status& error);
  int64_t Backoff(int retry);

  Services& services_;
  EventRecorder& events_;
  std::vector<Stage*> stages_;
  std::vector<std::string> stage_names_;  // of stages_, in order
  ProcessorOptions options_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace docpipe
