#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/periodic_task.h"
#include "pipeline/services.h"

namespace docpipe {

// What one beat reports.
struct WorkerBeat {
  int busy = 0;           // documents being processed now
  int threads = 0;        // processing threads
  int64_t processed = 0;  // documents handled since the worker started
};

// A worker as its latest heartbeat shows it (the dashboard's Workers table).
struct WorkerSeen {
  std::string worker_id;
  TimeMs seen_at = 0;
  WorkerBeat beat;
};

// Writes a worker's heartbeat into the metrics table every `interval_ms` of
// the services' clock (a PeriodicTask; a fake clock drives it in tests), and
// once at start and at stop, as snapshots in the day's row:
// worker#<id>#seen_ms, #busy, #threads, #processed. Any number of workers,
// on SQLite or DynamoDB, beat without coordination; the head reads them back
// (ReadWorkerHeartbeats). A failed write is logged once per failure streak
// and never stops the worker.
class WorkerHeartbeat {
 public:
  WorkerHeartbeat(Services& services, std::string worker_id, int64_t interval_ms, std::function<WorkerBeat()> sample);
  ~WorkerHeartbeat();  // beats once more, then stops
  WorkerHeartbeat(const WorkerHeartbeat&) = delete;
  WorkerHeartbeat& operator=(const WorkerHeartbeat&) = delete;

  //! Writes one beat now (also what the thread calls).
  void Beat();

 private:
  Services& services_;
  const std::string worker_id_;
  const int64_t interval_ms_;
  std::function<WorkerBeat()> sample_;
  std::atomic<bool> failing_{false};  // logs one warning per failure streak
  std::unique_ptr<PeriodicTask> ticker_;  // started after the first beat
};

//! The workers whose heartbeats the metrics rows of `days` hold, latest beat
//! of each, newest first.
std::vector<WorkerSeen> WorkersFromMetrics(const std::vector<std::map<std::string, double>>& days);

}  // namespace docpipe
