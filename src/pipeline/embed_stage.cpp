#include <algorithm>

#include "pipeline/document_id.h"
#include "pipeline/stage_io.h"
#include "pipeline/stages.h"

namespace docpipe {

std::string EmbeddingsKey(const std::string& id) { return "embeddings/" + id + ".json"; }

std::string EmbeddingInput(const Chunk& chunk) {
  if (chunk.context_prefix.empty()) return chunk.text;
  return chunk.context_prefix + "\n\n" + chunk.text;
}

namespace {

class EmbedStage final : public Stage {
 public:
  EmbedStage(Embedder& embedder, int batch_size) : embedder_(embedder), batch_size_(std::max(1, batch_size)) {}

  std::string Name() const override { return "embed"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    Result<nlohmann::json> chunks_doc = ReadStageJson(store, ChunksKey(rec.document_id), rec);
    if (!chunks_doc.ok()) return chunks_doc.status();
    std::vector<std::string> ids, texts;
    for (const auto& j : (*chunks_doc)["chunks"]) {
      Result<Chunk> c = ChunkFromJson(j);
      if (!c.ok()) return c.status().Annotate(ChunksKey(rec.document_id));
      ids.push_back(c->chunk_id);
      texts.push_back(EmbeddingInput(*c));
    }
    nlohmann::json vectors = nlohmann::json::array();
    int64_t tokens = 0, requests = 0;
    double cost = 0;
    for (size_t start = 0; start < texts.size(); start += batch_size_) {
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("embedding cancelled");
      if (ctx.deadline_ms > 0 && ctx.services.clock.NowMs() > ctx.deadline_ms) {
        return Status::Timeout(rec.source_key + ": embed passed its deadline");
      }
      size_t end = std::min(texts.size(), start + batch_size_);
      std::vector<std::string> batch(texts.begin() + start, texts.begin() + end);
      Result<EmbeddingBatch> got = embedder_.Embed(batch);
      if (!got.ok()) return got.status();
      if (got->vectors.size() != batch.size()) return Status::Internal("embedder returned a wrong number of vectors");
      for (size_t i = 0; i < batch.size(); ++i) {
        vectors.push_back({{"chunk_id", ids[start + i]}, {"vector", EncodeVectorBase64(got->vectors[i])}});
      }
      tokens += got->tokens;
      requests += got->requests;
      cost += got->cost_usd;
    }
    nlohmann::json out = {{"document_id", rec.document_id},
                          {"processing_version", rec.processing_version},
                          {"model", embedder_.Model()},
                          {"dimension", embedder_.Dimension()},
                          {"encoding", "base64-float32le"},
                          {"tokens", tokens},
                          {"cost_usd", cost},
                          {"requests", requests},
                          {"vectors", std::move(vectors)}};
    const std::string key = EmbeddingsKey(rec.document_id);
    DOCPIPE_RETURN_IF_ERROR(store.Put(key, out.dump()));
    StageResult result;
    result.output_key = key;
    result.tokens = tokens;
    result.cost_usd = cost;
    result.metrics = {{"model", embedder_.Model()}, {"dimension", embedder_.Dimension()},
                      {"chunks", texts.size()},      {"tokens", tokens},
                      {"cost_usd", cost},             {"requests", requests}};
    return result;
  }

 private:
  Embedder& embedder_;
  size_t batch_size_;
};

}  // namespace

StagePtr NewEmbedStage(Embedder& embedder, int batch_size) {
  return std::make_unique<EmbedStage>(embedder, batch_size);
}

}  // namespace docpipe
