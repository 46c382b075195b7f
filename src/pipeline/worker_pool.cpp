#include "pipeline/worker_pool.h"

#include <algorithm>

namespace docpipe {
namespace {

constexpr int64_t kLogEveryMs = 30'000;

}  // namespace

Status WorkerPool::ReceiveFailure(int64_t* failing_since_ms) const {
  std::lock_guard lock(failure_mu_);
  if (failing_since_ms != nullptr) *failing_since_ms = failing_since_ms_;
  return receive_error_;
}

WorkerPool::WorkerPool(Services& services, DocumentProcessor& processor, WorkerPoolOptions options)
    : services_(services), processor_(processor), options_(options) {}

WorkerPool::~WorkerPool() {
  Cancel();
  Join();
}

void WorkerPool::Start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(); });
  if (!options_.worker_id.empty() && options_.heartbeat_ms > 0) {
    heartbeat_ = std::make_unique<WorkerHeartbeat>(services_, options_.worker_id, options_.heartbeat_ms, [this] {
      return WorkerBeat{busy_.load(), options_.threads, processed_.load()};
    });
  }
}

void WorkerPool::WakeOnProgress(StopSignal* progress) {
  std::lock_guard lock(progress_mu_);
  progress_ = progress;
}

void WorkerPool::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  heartbeat_.reset();  // its last beat says nothing is busy
}

void WorkerPool::Loop() {
  while (!stop_receiving_.load()) {
    Result<std::vector<QueueMessage>> got = services_.queue.Receive(1, options_.visibility_ms, options_.wait_ms);
    if (!got.ok()) {
      int64_t failing_ms = 0;
      bool log = false;
      {
        std::lock_guard lock(failure_mu_);
        const int64_t now = services_.clock.MonotonicMs();
        if (receive_error_.ok()) failing_since_ms_ = now;
        // Once per error text and then every kLogEveryMs: a full disk must not flood the log.
        log = receive_error_.message() != got.status().message() || now - logged_at_ms_ >= kLogEveryMs;
        if (log) logged_at_ms_ = now;
        receive_error_ = got.status();
        failing_ms = now - failing_since_ms_;
      }
      if (log) {
        services_.logger.Warn("queue_receive_failed",
                              {{"error", got.status().ToString()}, {"failing_for_ms", failing_ms}});
      }
      // Waits grow while it keeps failing: one second, then up to five.
      services_.clock.SleepMs(std::clamp<int64_t>(failing_ms / 2, std::max<int64_t>(options_.wait_ms, 1), 5'000));
      continue;
    }
    {
      std::lock_guard lock(failure_mu_);
      receive_error_ = Status::Ok();
    }
    if (got->empty()) {
      empty_polls_.fetch_add(1);
      continue;
    }
    for (const QueueMessage& m : *got) {
      if (stop_receiving_.load()) {
        services_.queue.ChangeVisibility(m.receipt_handle, 0);  // not ours to start any more
        continue;
      }
      busy_.fetch_add(1);
      processor_.Process(m, cancel_);
      busy_.fetch_sub(1);
      processed_.fetch_add(1);
      std::lock_guard lock(progress_mu_);
      if (progress_ != nullptr) progress_->Stop();
    }
  }
}

}  // namespace docpipe
