#include <algorithm>

#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class EmbedStage final : public Stage {
 public:
  EmbedStage(ObjectStore& store, Clock& clock, Embedder& embedder, int batch_size, StageOutputMemo* memo)
      : artifacts_(store, memo), clock_(clock), embedder_(embedder), batch_size_(std::max(1, batch_size)) {}

  std::string Name() const override { return kEmbedStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    Result<ChunksToIndex> input = artifacts_.ReadChunksToIndex(rec, ctx.cancel);
    if (!input.ok()) return input.status();
    std::vector<std::string> texts;
    for (const Chunk& c : input->chunks.chunks) texts.push_back(EmbeddingInput(c));
    EmbeddingSet set;
    set.document_id = rec.document_id;
    set.processing_version = rec.processing_version;
    set.model = embedder_.Model();
    set.dimension = embedder_.Dimension();
    for (size_t start = 0; start < texts.size(); start += batch_size_) {
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("embedding cancelled");
      if (ctx.deadline_ms > 0 && clock_.NowMs() > ctx.deadline_ms) {
        return Status::Timeout(rec.source_key + ": embed passed its deadline");
      }
      size_t end = std::min(texts.size(), start + batch_size_);
      std::vector<std::string> batch(texts.begin() + start, texts.begin() + end);
      Result<EmbeddingBatch> got = embedder_.Embed(batch, ctx.cancel);
      if (!got.ok()) return got.status();
      if (got->vectors.size() != batch.size()) return Status::Internal("embedder returned a wrong number of vectors");
      for (size_t i = 0; i < batch.size(); ++i) {
        set.vectors.emplace_back(input->chunks.chunks[start + i].chunk_id, std::move(got->vectors[i]));
      }
      set.tokens += got->tokens;
      set.requests += got->requests;
      set.cost_usd += got->cost_usd;
    }
    DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(set));
    StageResult result;
    result.output_key = EmbeddingsKey(rec.document_id);
    result.tokens = set.tokens;
    result.cost_usd = set.cost_usd;
    result.metrics = {{"model", set.model},       {"dimension", set.dimension},
                      {"chunks", texts.size()},   {"tokens", set.tokens},
                      {"cost_usd", set.cost_usd}, {"requests", set.requests}};
    return result;
  }

 private:
  StageArtifacts artifacts_;
  Clock& clock_;
  Embedder& embedder_;
  size_t batch_size_;
};

}  // namespace

StagePtr NewEmbedStage(ObjectStore& store, Clock& clock, Embedder& embedder, int batch_size,
                       StageOutputMemo* memo) {
  return std::make_unique<EmbedStage>(store, clock, embedder, batch_size, memo);
}

}  // namespace docpipe
