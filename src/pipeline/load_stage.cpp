#include <future>
#include <map>
#include <set>

#include <fmt/format.h>

#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

// Entities kept per chunk in the index (the chunk view shows them).
constexpr size_t kIndexedEntitiesPerChunk = 20;
// Chunks prepared between looks at the cancel flag.
constexpr size_t kCancelCheckChunks = 256;

class LoadStage final : public Stage {
 public:
  LoadStage(ObjectStore& store, ControlTable& control, VectorIndex& index, StageOutputMemo* memo)
      : artifacts_(store, memo), control_(control), index_(index) {}

  std::string Name() const override { return kLoadStage; }

  // Every step looks at the stage's cancel flag (its deadline): reading and
  // converting a large document's inputs takes seconds on a loaded machine.
  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    const auto cancelled = [&ctx] { return ctx.cancel != nullptr && ctx.cancel->load(); };
    // The two inputs are parsed at once (a big manual's embeddings are megabytes
    // of JSON and base64): the object store takes concurrent reads.
    std::future<Result<EmbeddingSet>> embeddings_read =
        std::async(std::launch::async, [this, &rec, &ctx] { return artifacts_.ReadEmbeddings(rec, ctx.cancel); });
    Result<ChunksToIndex> input = artifacts_.ReadChunksToIndex(rec, ctx.cancel);
    Result<EmbeddingSet> embeddings = embeddings_read.get();
    artifacts_.ForgetOutputs(rec.document_id);  // this stage is their last reader
    if (!input.ok()) return input.status();
    if (!embeddings.ok()) return embeddings.status();
    if (cancelled()) return Status::Cancelled("load cancelled after reading its inputs");

    std::map<std::string, std::vector<float>> vectors;
    for (auto& [id, v] : embeddings->vectors) vectors[id] = std::move(v);
    std::map<std::string, const ChunkEnrichment*> enrichment;
    for (const ChunkEnrichment& e : input->enrichment.chunks) enrichment[e.chunk_id] = &e;

    std::vector<IndexedChunk> items;
    for (const Chunk& c : input->chunks.chunks) {
      if (items.size() % kCancelCheckChunks == 0 && cancelled()) {
        return Status::Cancelled("load cancelled while preparing its chunks");
      }
      auto v = vectors.find(c.chunk_id);
      if (v == vectors.end()) return Status::Internal("no vector for chunk " + c.chunk_id);
      IndexedChunk ic;
      ic.chunk_id = c.chunk_id;
      ic.document_id = rec.document_id;
      ic.processing_version = rec.processing_version;
      ic.source_key = rec.source_key;
      ic.text = c.text;
      ic.breadcrumbs = c.breadcrumbs;
      ic.page_start = c.page_start;
      ic.page_end = c.page_end;
      ic.page_label_start = c.page_label_start;
      ic.page_label_end = c.page_label_end;
      ic.type = c.type;
      ic.vector = std::move(v->second);
      if (auto e = enrichment.find(c.chunk_id); e != enrichment.end()) {
        const ChunkEnrichment& ce = *e->second;
        for (size_t k = 0; k < ce.key_phrases.size() && k < 5; ++k) ic.key_phrases.push_back(ce.key_phrases[k].text);
        if (!ce.languages.empty()) ic.language = ce.languages.front().language_code;
        std::set<std::string> types;
        for (const Entity& p : ce.pii_entities) types.insert(p.type);
        ic.pii_types.assign(types.begin(), types.end());
        // For the dashboard's chunk view, which pages through the index.
        for (size_t k = 0; k < ce.entities.size() && k < kIndexedEntitiesPerChunk; ++k) {
          ic.entities.push_back({ce.entities[k].type, ce.entities[k].text});
        }
      }
      items.push_back(std::move(ic));
    }

    // A newer version may have been registered meanwhile; its load owns the index.
    Result<ControlRecord> latest = control_.GetLatest(rec.document_id);
    if (latest.ok() && latest->processing_version > rec.processing_version) {
      return Status::Cancelled(fmt::format("version {} superseded by {}", rec.processing_version,
                                           latest->processing_version));
    }
    if (cancelled()) return Status::Cancelled("load cancelled");
    DOCPIPE_RETURN_IF_ERROR(index_.ReplaceDocument(rec.document_id, rec.processing_version, items, ctx.cancel));
    StageResult result;
    result.output_key = "index/" + rec.document_id;
    result.metrics = {{"chunks_indexed", items.size()},
                      {"dimension", embeddings->dimension},
                      {"model", embeddings->model}};
    return result;
  }

 private:
  StageArtifacts artifacts_;
  ControlTable& control_;
  VectorIndex& index_;
};

}  // namespace

StagePtr NewLoadStage(ObjectStore& store, ControlTable& control, VectorIndex& index, StageOutputMemo* memo) {
  return std::make_unique<LoadStage>(store, control, index, memo);
}

}  // namespace docpipe
