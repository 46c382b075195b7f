#pragma once

#include <atomic>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "pipeline/document_processor.h"
#include "pipeline/services.h"
#include "pipeline/worker_heartbeat.h"

namespace docpipe {

struct WorkerPoolOptions {
  int threads = 2;
  int64_t visibility_ms = 60'000;  // = the lease
  int64_t wait_ms = 500;           // long-poll wait per receive
  // Heartbeats in the metrics table (pipeline/worker_heartbeat.h), so the
  // head's dashboard lists the worker; none when the id is "".
  std::string worker_id;
  int64_t heartbeat_ms = 15'000;
};

// Threads that receive queue messages and hand them to the processor.
// Stopping is two-step: StopReceiving() lets in-flight documents finish;
// Cancel() also asks them to stop and release their claims.
class WorkerPool {
 public:
  WorkerPool(Services& services, DocumentProcessor& processor, WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  void StopReceiving() { stop_receiving_.store(true); }
  void Cancel() {
    stop_receiving_.store(true);
    cancel_.store(true);
  }
  //! Waits for every thread to return.
  void Join();
  //! Documents being processed right now.
  int Busy() const { return busy_.load(); }
  //! Receives that came back empty, across threads, ever (drain detection
  //! compares two readings).
  int64_t EmptyPolls() const { return empty_polls_.load(); }
  int64_t Processed() const { return processed_.load(); }
  //! Stops `progress` as soon as a thread finishes its next document, so a
  //! caller waiting on it (Clock::WaitFor) looks at the results at once
  //! instead of at its next poll. One signal at a time; nullptr clears it,
  //! and must be set before `progress` is destroyed.
  void WakeOnProgress(StopSignal* progress);
  //! While receives fail (the queue's database on a full disk, say): the
  //! last error, and since when (the clock's MonotonicMs) they have failed
  //! without a success in between. OK when the last receive worked.
  Status ReceiveFailure(int64_t* failing_since_ms) const;

 private:
  void Loop();

  Services& services_;
  DocumentProcessor& processor_;
  WorkerPoolOptions options_;
  std::atomic<bool> stop_receiving_{false};
  std::atomic<bool> cancel_{false};
  std::atomic<int> busy_{0};
  std::atomic<int64_t> empty_polls_{0};
  std::atomic<int64_t> processed_{0};
  mutable std::mutex failure_mu_;
  Status receive_error_;         // guarded by failure_mu_
  int64_t failing_since_ms_ = 0;  // guarded by failure_mu_
  int64_t logged_at_ms_ = -1;     // guarded by failure_mu_: the last failure logged
  std::mutex progress_mu_;
  StopSignal* progress_ = nullptr;  // guarded by progress_mu_
  std::vector<std::thread> threads_;
  std::unique_ptr<WorkerHeartbeat> heartbeat_;  // from Start() to Join()
};

}  // namespace docpipe
