#include <map>

#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

bool Overlaps(int64_t begin, int64_t end, const std::vector<Entity>& pii) {
  for (const Entity& p : pii) {
    if (begin < p.end_offset && p.begin_offset < end) return true;
  }
  return false;
}

// Key phrases and entities that overlap PII would carry it past redaction
// (into enriched/ and the index's key-phrase column), so they go too.
void DropSpansOverlappingPii(ChunkEnrichment& e) {
  if (e.pii_entities.empty()) return;
  std::erase_if(e.key_phrases, [&](const KeyPhrase& k) { return Overlaps(k.begin_offset, k.end_offset, e.pii_entities); });
  std::erase_if(e.entities, [&](const Entity& x) { return Overlaps(x.begin_offset, x.end_offset, e.pii_entities); });
}

class EnrichStage final : public Stage {
 public:
  EnrichStage(ObjectStore& store, EnricherPtr enricher, EnrichOptions options, StageOutputMemo* memo)
      : artifacts_(store, memo), enricher_(std::move(enricher)), options_(options) {}

  std::string Name() const override { return kEnrichStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    Result<ChunkSet> chunks = artifacts_.ReadChunks(rec);
    if (!chunks.ok()) return chunks.status();
    std::vector<EnrichInput> inputs;
    for (const Chunk& c : chunks->chunks) inputs.push_back({c.chunk_id, c.text});
    EnrichUsage usage;
    EnrichOptions options = options_;
    options.cancel = ctx.cancel;  // shutdown, or the processor's deadline watch
    Result<std::vector<ChunkEnrichment>> enriched = enricher_->Enrich(inputs, options, &usage);
    if (!enriched.ok()) return enriched.status();
    if (enriched->size() != inputs.size()) return Status::Internal("enricher returned a wrong number of results");
    if (options_.redact_pii) {
      for (ChunkEnrichment& e : *enriched) DropSpansOverlappingPii(e);
    }

    EnrichmentSet set;
    set.document_id = rec.document_id;
    set.processing_version = rec.processing_version;
    set.enricher = enricher_->Name();
    set.redact_pii = options_.redact_pii;
    set.comprehend_calls = usage.calls;
    set.cost_usd = usage.cost_usd;
    set.skipped = usage.skipped;
    std::map<std::string, int64_t> languages;
    for (const ChunkEnrichment& e : *enriched) {
      for (const Entity& p : e.pii_entities) ++set.pii_counts[p.type];
      for (const Entity& x : e.entities) ++set.entity_counts[x.type];
      if (!e.languages.empty()) ++languages[e.languages.front().language_code];
    }
    int64_t best = 0;
    for (const auto& [lang, n] : languages) {
      if (n > best) best = n, set.dominant_language = lang;
    }
    if (options_.redact_pii) {
      // What stages 4 and 5 embed and index: the texts without their PII.
      RedactedTexts redacted;
      redacted.document_id = rec.document_id;
      redacted.processing_version = rec.processing_version;
      for (size_t i = 0; i < inputs.size(); ++i) {
        const ChunkEnrichment& e = (*enriched)[i];
        redacted.texts.emplace_back(inputs[i].chunk_id,
                                    e.pii_entities.empty() ? inputs[i].text : RedactPii(inputs[i].text, e.pii_entities));
      }
      DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(redacted));
    }
    set.chunks = std::move(*enriched);
    DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(set));

    int64_t pii_total = 0;
    for (const auto& [t, n] : set.pii_counts) pii_total += n;
    StageResult result;
    result.output_key = EnrichedKey(rec.document_id);
    result.metrics = {{"enricher", set.enricher},
                      {"chunks", inputs.size()},
                      {"language", set.dominant_language},
                      {"pii_entities", pii_total},
                      {"pii_counts", set.pii_counts},
                      {"entity_counts", set.entity_counts},
                      {"redacted", options_.redact_pii},
                      {"comprehend_calls", usage.calls},
                      {"cost_usd", usage.cost_usd}};
    if (!usage.calls_by_operation.empty()) result.metrics["calls_by_operation"] = usage.calls_by_operation;
    // Why calls were left out (a language Comprehend does not support...).
    if (!usage.skipped.empty()) result.metrics["skipped"] = usage.skipped;
    result.cost_usd = usage.cost_usd;  // summed into the document's and the day's cost
    return result;
  }

 private:
  StageArtifacts artifacts_;
  EnricherPtr enricher_;
  EnrichOptions options_;
};

}  // namespace

StagePtr NewEnrichStage(ObjectStore& store, EnricherPtr enricher, EnrichOptions options, StageOutputMemo* memo) {
  return std::make_unique<EnrichStage>(store, std::move(enricher), options, memo);
}

}  // namespace docpipe
