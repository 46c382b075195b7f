#include "enrich/local_enricher.h"

#include <algorithm>

#include "common/parallel.h"

#include "enrich/entity_detector.h"
#include "enrich/key_phrase_extractor.h"
#include "enrich/language_detector.h"
#include "enrich/pii_detector.h"

namespace docpipe {

namespace {

class LocalEnricher : public Enricher {
 public:
  explicit LocalEnricher(const LocalEnricherOptions& options) : threads_(std::max(1, options.threads)) {
    // Patterns are compiled once here, not per call.
    Result<PiiDetectorPtr> pii = NewPiiDetector({options.default_phone_region});
    Result<EntityDetectorPtr> entities = NewEntityDetector();
    if (!pii.ok()) {
      init_ = pii.status();
    } else if (!entities.ok()) {
      init_ = entities.status();
    } else {
      pii_ = std::move(pii).value();
      entities_ = std::move(entities).value();
    }
  }

  std::string Name() const override { return "local-v1"; }
  using Enricher::Enrich;

  Result<std::vector<ChunkEnrichment>> Enrich(const std::vector<EnrichInput>& chunks, const EnrichOptions& options,
                                              EnrichUsage* usage) override {
    if (usage != nullptr) *usage = EnrichUsage{};  // all local: no calls, no cost
    if (!init_.ok()) return init_;
    if (options.min_score < 0 || options.min_score > 1) {
      return Status::InvalidInput("min_score must be within [0, 1]");
    }
    if (options.max_key_phrases < 0) return Status::InvalidInput("max_key_phrases must not be negative");
    // Each chunk is enriched on its own into its own slot (the detectors are
    // immutable after construction), so the output is the same for any
    // thread count. A cancelled stage stops every thread at its next chunk.
    std::vector<ChunkEnrichment> out(chunks.size());
    DOCPIPE_RETURN_IF_ERROR(ParallelFor(chunks.size(), threads_, [&](size_t i) {
      if (options.cancel != nullptr && options.cancel->load()) return Status::Cancelled("enrichment cancelled");
      const EnrichInput& in = chunks[i];
      ChunkEnrichment& e = out[i];
      e.chunk_id = in.chunk_id;
      e.languages = DetectLanguages(in.text);
      e.entities = AboveMinScore(entities_->Detect(in.text), options.min_score);
      e.key_phrases = ExtractKeyPhrases(in.text, options.max_key_phrases);
      e.pii_entities = AboveMinScore(pii_->Detect(in.text), options.min_score);
      if (options.redact_pii) e.redacted_text = RedactPii(in.text, e.pii_entities);
      return Status::Ok();
    }));
    return out;
  }

 private:
  static std::vector<Entity> AboveMinScore(std::vector<Entity> v, double min_score) {
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Entity& e) { return e.score < min_score; }),
            v.end());
    return v;
  }

  const int threads_;
  Status init_;
  PiiDetectorPtr pii_;
  EntityDetectorPtr entities_;
};

}  // namespace

EnricherPtr NewLocalEnricher(const LocalEnricherOptions& options) {
  return std::make_unique<LocalEnricher>(options);
}

EnricherPtr NewLocalEnricher() { return NewLocalEnricher(LocalEnricherOptions{}); }

}  // namespace docpipe
