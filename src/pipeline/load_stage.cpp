#include <fmt/format.h>

#include <map>
#include <set>

#include "pipeline/document_id.h"
#include "pipeline/stage_io.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class LoadStage final : public Stage {
 public:
  explicit LoadStage(VectorIndex& index) : index_(index) {}

  std::string Name() const override { return "load"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    Result<nlohmann::json> chunks_doc = ReadStageJson(store, ChunksKey(rec.document_id), rec);
    if (!chunks_doc.ok()) return chunks_doc.status();
    Result<nlohmann::json> enriched = ReadStageJson(store, EnrichedKey(rec.document_id), rec);
    if (!enriched.ok()) return enriched.status();
    Result<nlohmann::json> embeddings = ReadStageJson(store, EmbeddingsKey(rec.document_id), rec);
    if (!embeddings.ok()) return embeddings.status();

    const int dimension = embeddings->value("dimension", 0);
    std::map<std::string, std::vector<float>> vectors;
    for (const auto& v : (*embeddings)["vectors"]) {
      Result<std::vector<float>> decoded = DecodeVectorBase64(v.value("vector", ""), dimension);
      if (!decoded.ok()) return decoded.status().Annotate(EmbeddingsKey(rec.document_id));
      vectors[v.value("chunk_id", "")] = std::move(*decoded);
    }
    std::map<std::string, ChunkEnrichment> enrichment;
    for (const auto& e : (*enriched)["chunks"]) {
      Result<ChunkEnrichment> ce = ChunkEnrichmentFromJson(e);
      if (!ce.ok()) return ce.status().Annotate(EnrichedKey(rec.document_id));
      enrichment[ce->chunk_id] = std::move(*ce);
    }

    std::vector<IndexedChunk> items;
    for (const auto& j : (*chunks_doc)["chunks"]) {
      Result<Chunk> c = ChunkFromJson(j);
      if (!c.ok()) return c.status().Annotate(ChunksKey(rec.document_id));
      auto v = vectors.find(c->chunk_id);
      if (v == vectors.end()) return Status::Internal("no vector for chunk " + c->chunk_id);
      IndexedChunk ic;
      ic.chunk_id = c->chunk_id;
      ic.document_id = rec.document_id;
      ic.processing_version = rec.processing_version;
      ic.source_key = rec.source_key;
      ic.text = c->text;
      ic.breadcrumbs = c->breadcrumbs;
      ic.page_start = c->page_start;
      ic.page_end = c->page_end;
      ic.type = c->type;
      ic.vector = std::move(v->second);
      if (auto e = enrichment.find(c->chunk_id); e != enrichment.end()) {
        for (size_t k = 0; k < e->second.key_phrases.size() && k < 5; ++k) {
          ic.key_phrases.push_back(e->second.key_phrases[k].text);
        }
        if (!e->second.languages.empty()) ic.language = e->second.languages.front().language_code;
        std::set<std::string> types;
        for (const Entity& p : e->second.pii_entities) types.insert(p.type);
        ic.pii_types.assign(types.begin(), types.end());
      }
      items.push_back(std::move(ic));
    }

    // A newer version may have been registered meanwhile; its load owns the index.
    Result<ControlRecord> latest = ctx.services.control.GetLatest(rec.document_id);
    if (latest.ok() && latest->processing_version > rec.processing_version) {
      return Status::Cancelled(fmt::format("version {} superseded by {}", rec.processing_version,
                                           latest->processing_version));
    }
    DOCPIPE_RETURN_IF_ERROR(index_.ReplaceDocument(rec.document_id, rec.processing_version, items));
    StageResult result;
    result.output_key = "index/" + rec.document_id;
    result.metrics = {{"chunks_indexed", items.size()}, {"dimension", dimension},
                      {"model", embeddings->value("model", "")}};
    return result;
  }

 private:
  VectorIndex& index_;
};

}  // namespace

StagePtr NewLoadStage(VectorIndex& index) { return std::make_unique<LoadStage>(index); }

}  // namespace docpipe
