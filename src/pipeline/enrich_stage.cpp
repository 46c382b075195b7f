#include <map>

#include "pipeline/document_id.h"
#include "pipeline/stage_io.h"
#include "pipeline/stages.h"

namespace docpipe {

std::string EnrichedKey(const std::string& id) { return "enriched/" + id + ".json"; }

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
  EnrichStage(EnricherPtr enricher, EnrichOptions options) : enricher_(std::move(enricher)), options_(options) {}

  std::string Name() const override { return "enrich"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    Result<nlohmann::json> chunks_doc = ReadStageJson(store, ChunksKey(rec.document_id), rec);
    if (!chunks_doc.ok()) return chunks_doc.status();
    std::vector<EnrichInput> inputs;
    for (const auto& c : (*chunks_doc)["chunks"]) {
      inputs.push_back({c.value("chunk_id", ""), c.value("text", "")});
    }
    EnrichUsage usage;
    Result<std::vector<ChunkEnrichment>> enriched = enricher_->Enrich(inputs, options_, &usage);
    if (!enriched.ok()) return enriched.status();
    if (enriched->size() != inputs.size()) return Status::Internal("enricher returned a wrong number of results");

    if (options_.redact_pii) {
      for (ChunkEnrichment& e : *enriched) DropSpansOverlappingPii(e);
    }
    std::map<std::string, int64_t> pii_counts, entity_counts, languages;
    nlohmann::json items = nlohmann::json::array();
    for (const ChunkEnrichment& e : *enriched) {
      for (const Entity& p : e.pii_entities) ++pii_counts[p.type];
      for (const Entity& x : e.entities) ++entity_counts[x.type];
      if (!e.languages.empty()) ++languages[e.languages.front().language_code];
      nlohmann::json j = ToJson(e);
      // Like Comprehend's DetectPiiEntities, PII is reported by type and
      // offsets only, so the enrichment output never repeats the PII itself.
      if (j.contains("PiiEntities")) {
        for (auto& p : j["PiiEntities"]) p.erase("Text");
      }
      j.erase("redacted_text");
      items.push_back(std::move(j));
    }
    std::string dominant;
    int64_t best = 0;
    for (const auto& [lang, n] : languages) {
      if (n > best) best = n, dominant = lang;
    }
    nlohmann::json out = {{"document_id", rec.document_id},
                          {"processing_version", rec.processing_version},
                          {"enricher", enricher_->Name()},
                          {"redact_pii", options_.redact_pii},
                          {"dominant_language", dominant},
                          {"pii_counts", pii_counts},
                          {"entity_counts", entity_counts},
                          {"comprehend_calls", usage.calls},
                          {"cost_usd", usage.cost_usd},
                          {"chunks", std::move(items)}};
    if (!usage.skipped.empty()) out["skipped"] = usage.skipped;
    const std::string key = EnrichedKey(rec.document_id);
    DOCPIPE_RETURN_IF_ERROR(store.Put(key, out.dump(1)));

    if (options_.redact_pii) {
      // The texts that go on to be embedded and indexed lose their PII here.
      nlohmann::json& chunks = (*chunks_doc)["chunks"];
      for (size_t i = 0; i < chunks.size(); ++i) {
        const ChunkEnrichment& e = (*enriched)[i];
        if (!e.pii_entities.empty()) chunks[i]["text"] = RedactPii(chunks[i].value("text", ""), e.pii_entities);
        chunks[i]["redacted"] = true;
      }
      (*chunks_doc)["redacted"] = true;
      DOCPIPE_RETURN_IF_ERROR(store.Put(ChunksKey(rec.document_id), chunks_doc->dump(1)));
    }

    int64_t pii_total = 0;
    for (const auto& [t, n] : pii_counts) pii_total += n;
    StageResult result;
    result.output_key = key;
    result.metrics = {{"enricher", enricher_->Name()},
                      {"chunks", inputs.size()},
                      {"language", dominant},
                      {"pii_entities", pii_total},
                      {"pii_counts", pii_counts},
                      {"entity_counts", entity_counts},
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
  EnricherPtr enricher_;
  EnrichOptions options_;
};

}  // namespace

StagePtr NewEnrichStage(EnricherPtr enricher, EnrichOptions options) {
  return std::make_unique<EnrichStage>(std::move(enricher), options);
}

}  // namespace docpipe
