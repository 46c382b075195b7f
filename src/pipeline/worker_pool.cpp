#include "pipeline/worker_pool.h"

namespace docpipe {

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
      services_.logger.Warn("queue_receive_failed", {{"error", got.status().ToString()}});
      services_.clock.SleepMs(options_.wait_ms);
      continue;
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
    }
  }
}

}  // namespace docpipe
