#pragma once

#include <memory>
#include <vector>

#include "app/retrieval.h"
#include "app/storage.h"
#include "extract/extractor.h"
#include "ocr/ocr_engine.h"
#include "ocr/ocr_pool.h"
#include "pipeline/document_processor.h"
#include "pipeline/stage.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/worker_pool.h"

namespace docpipe {

// The five stages and the document processor, for the commands that process
// documents (ingest, worker, retry that waits): the extractors, the chunk
// tokenizer of the embedding model, the enricher, and the embedder and index
// of a Retrieval, all opened here. Stages may be wrapped by test fault
// injection (pipeline/fault_injection_stage.h) named in the environment.
class Processing {
 public:
  //! Opens the whole storage too (Storage::OpenAll).
  static Result<std::unique_ptr<Processing>> Open(Storage& storage, Retrieval& retrieval);
  ~Processing();
  Processing(const Processing&) = delete;
  Processing& operator=(const Processing&) = delete;

  DocumentProcessor& processor() { return *processor_; }

 private:
  Processing() = default;

  OcrEnginePtr ocr_engine_;            // null when OCR is off
  std::unique_ptr<OcrPool> ocr_pool_;  // shared by the extractors (declared before them)
  std::vector<ExtractorPtr> extractors_;  // the extract stage selects among them
  std::unique_ptr<StageOutputMemo> memo_;  // outputs handed between the stages (declared before them)
  std::vector<StagePtr> stages_;
  std::unique_ptr<DocumentProcessor> processor_;
};

// The processor's options from the configuration (leases, retries, timeouts).
ProcessorOptions ProcessorOptionsOf(const Config& config);

// The worker threads' options from the configuration (threads, lease) and the
// storage's worker id; `wait_ms` is the queue's long-poll wait per receive.
WorkerPoolOptions WorkerPoolOptionsOf(Storage& storage, int64_t wait_ms);

}  // namespace docpipe
