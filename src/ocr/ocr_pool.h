#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "ocr/ocr_engine.h"

namespace docpipe {

// Recognises page images on a fixed set of threads, so that a scanned
// document's pages are read in parallel across cores. One pool serves the
// whole process (all extractions share it), which bounds the recognisers
// alive at once to the thread count. Thread-safe.
class OcrPool {
 public:
  //! `threads` <= 0: one per core. `engine` must outlive the pool.
  OcrPool(OcrEngine& engine, int threads);
  //! Finishes queued images, then joins the threads.
  ~OcrPool();
  OcrPool(const OcrPool&) = delete;
  OcrPool& operator=(const OcrPool&) = delete;

  //! Queues `image`; the future yields the engine's result, or Cancelled
  //! when `cancel` was set before the image's turn came (shared: the caller
  //! may give up on the future and leave).
  std::future<Result<OcrPage>> Submit(OcrImage image, std::shared_ptr<const std::atomic<bool>> cancel = nullptr);
  //! Number of threads (images recognised at once).
  int Threads() const { return static_cast<int>(threads_.size()); }
  OcrEngine& Engine() { return engine_; }

 private:
  void Run();

  OcrEngine& engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace docpipe
