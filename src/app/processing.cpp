#include "app/processing.h"

#include <algorithm>
#include <limits>

#include "common/parallel.h"
#include "enrich/comprehend_enricher.h"
#include "enrich/local_enricher.h"
#include "extract/extractor_registry.h"
#include "extract/text_normalizer.h"
#include "ocr/tesseract_ocr_engine.h"
#include "pipeline/fault_injection_stage.h"
#include "pipeline/stages.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {

Processing::~Processing() = default;

WorkerPoolOptions WorkerPoolOptionsOf(Storage& storage, int64_t wait_ms) {
  WorkerPoolOptions po;
  po.threads = storage.config().workers;
  po.visibility_ms = storage.config().lease_ms;
  po.wait_ms = wait_ms;
  po.worker_id = storage.events().worker_id();
  return po;
}

ProcessorOptions ProcessorOptionsOf(const Config& config) {
  ProcessorOptions o;
  o.lease_ms = config.lease_ms;
  o.heartbeat_ms = config.EffectiveHeartbeatMs();
  o.retry_base_ms = config.retry_base_ms;
  o.retry_max_ms = config.retry_max_ms;
  o.stage_timeout_ms = config.stage_timeout_ms;
  o.document_timeout_ms = config.document_timeout_ms;
  return o;
}

Result<std::unique_ptr<Processing>> Processing::Open(Storage& storage, Retrieval& retrieval) {
  const Config& config = storage.config();
  Logger& log = storage.logger();
  DOCPIPE_RETURN_IF_ERROR(storage.OpenAll());
  std::unique_ptr<Processing> p(new Processing());

  if (config.ocr.enabled) {
    OcrOptions ocr;
    ocr.languages = config.ocr.languages;
    ocr.tessdata_dir = config.ocr.tessdata_dir;
    Result<OcrEnginePtr> engine = NewTesseractOcrEngine(ocr);
    if (!engine.ok()) return engine.status().Annotate("OCR (ocr.languages, DOCPIPE_OCR_LANGUAGES)");
    p->ocr_engine_ = std::move(*engine);
    p->ocr_pool_ = std::make_unique<OcrPool>(*p->ocr_engine_, config.ocr.threads);
  }
  p->extractors_ = NewDefaultExtractors(config.extract, p->ocr_pool_.get());
  // Threads working on one document (its pages, sections and chunks).
  const int document_threads = EffectiveThreads(config.document_threads);
  Services& services = storage.services();
  // Each worker's document hands up to four outputs from stage to stage.
  p->memo_ = std::make_unique<StageOutputMemo>(4 * static_cast<size_t>(std::max(1, config.workers)));
  // Attachments (e-mail) become documents of their own through the registrar.
  p->stages_.push_back(NewExtractStage(
      services.store, services.clock,
      [&extractors = p->extractors_](const std::string& key, std::string_view head) {
        return SelectExtractor(extractors, key, head);
      },
      [](std::string_view text) { return NormalizeText(text); }, &storage.registrar(), config.limits,
      document_threads));

  // Chunk budgets are counted exactly as the embedding model will count them.
  const std::string encoding = EncodingForModel(config.embedding_model);
  if (!KnownEncodingForModel(config.embedding_model)) {
    log.Warn("unknown_embedding_model", {{"model", config.embedding_model}, {"encoding", encoding}});
  }
  Result<TokenizerPtr> tokenizer = NewBpeTokenizer(encoding);
  if (!tokenizer.ok()) return tokenizer.status().Annotate("tokenizer " + encoding);
  log.Debug("tokenizer_opened", {{"encoding", encoding}});
  p->stages_.push_back(NewChunkStage(services.store, std::move(*tokenizer), config.chunk, config.limits.max_chunks,
                                     document_threads, p->memo_.get()));

  EnrichOptions enrich;
  enrich.redact_pii = config.redact_pii;
  enrich.min_score = config.enrich_min_score;
  EnricherPtr enricher;
  switch (config.enricher) {
    case EnricherKind::kLocal: {
      LocalEnricherOptions local;
      local.threads = document_threads;
      enricher = NewLocalEnricher(local);
      break;
    }
    case EnricherKind::kComprehend: {
      ComprehendOptions co;
      co.max_requests_per_second = config.comprehend.requests_per_second;
      enricher = NewComprehendEnricher(*storage.aws().comprehend, storage.clock(), co);
      break;
    }
  }
  p->stages_.push_back(NewEnrichStage(services.store, std::move(enricher), enrich, p->memo_.get()));

  Result<Embedder*> embedder = retrieval.embedder();
  if (!embedder.ok()) return embedder.status();
  // A remote embedder packs requests itself (tokens and inputs per request):
  // hand it a document's chunks at once, or small documents waste requests.
  const int embed_batch =
      config.embedder == EmbedderKind::kOpenAi ? std::numeric_limits<int>::max() : config.embed_batch_size;
  p->stages_.push_back(NewEmbedStage(services.store, services.clock, **embedder, embed_batch, p->memo_.get()));

  Result<VectorIndex*> index = retrieval.index();
  if (!index.ok()) return index.status();
  p->stages_.push_back(NewLoadStage(services.store, services.control, **index, p->memo_.get()));

  std::vector<Stage*> stages;
  for (StagePtr& s : p->stages_) {
    StageFaults faults = StageFaultsFromEnvironment(storage.env(), s->Name());
    if (faults.any()) {
      log.Warn("fault_injection_enabled",
               {{"stage", s->Name()}, {"delay_ms", faults.delay_ms}, {"fail_attempts", faults.fail_attempts}});
    }
    s = WrapWithFaults(std::move(s), faults, storage.clock());
    stages.push_back(s.get());
  }
  p->processor_ = std::make_unique<DocumentProcessor>(storage.services(), storage.events(), std::move(stages),
                                                      ProcessorOptionsOf(config));
  return p;
}

}  // namespace docpipe
