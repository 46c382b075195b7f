#include "ocr/ocr_pool.h"

#include <memory>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace docpipe {

OcrPool::OcrPool(OcrEngine& engine, int threads) : engine_(engine) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

OcrPool::~OcrPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

std::future<Result<OcrPage>> OcrPool::Submit(OcrImage image, std::shared_ptr<const std::atomic<bool>> cancel) {
  auto task = std::make_shared<std::packaged_task<Result<OcrPage>()>>(
      [this, image = std::move(image), cancel = std::move(cancel)]() mutable -> Result<OcrPage> {
        if (cancel && cancel->load()) return Status::Cancelled("OCR cancelled");
        return engine_.Recognize(std::move(image));
      });
  std::future<Result<OcrPage>> result = task->get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back([task] { (*task)(); });
  }
  cv_.notify_one();
  return result;
}

void OcrPool::Run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
#ifdef __GLIBC__
    // A page leaves tens of megabytes of freed Tesseract buffers in this
    // thread's malloc arena; hand them back before the next page so that
    // the arenas of several OCR threads do not all stay at their high mark.
    malloc_trim(0);
#endif
  }
}

}  // namespace docpipe
