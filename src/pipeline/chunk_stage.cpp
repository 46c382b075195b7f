#include <algorithm>

#include <fmt/format.h>

#include "common/parallel.h"
#include "pipeline/document_limits.h"
#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

constexpr int kPageReadsInFlight = 8;

class ChunkStage final : public Stage {
 public:
  ChunkStage(ObjectStore& store, TokenizerPtr tokenizer, ChunkOptions options, int64_t max_chunks, int threads,
             StageOutputMemo* memo)
      : artifacts_(store, memo),
        tokenizer_(std::move(tokenizer)),
        options_(options),
        max_chunks_(max_chunks),
        threads_(std::max(1, threads)) {}

  std::string Name() const override { return kChunkStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    Result<ExtractedDocument> extracted = artifacts_.ReadExtracted(rec);
    if (!extracted.ok()) return extracted.status().Annotate("chunk needs the extract output");
    // Pages are read a few at once: each is an object of its own (an S3 GET).
    std::vector<ExtractedPage> pages(static_cast<size_t>(std::max(0, extracted->page_count)));
    DOCPIPE_RETURN_IF_ERROR(ParallelFor(pages.size(), kPageReadsInFlight, [&](size_t i) -> Status {
      const int p = static_cast<int>(i) + 1;
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("chunking cancelled");
      Result<std::string> md = artifacts_.ReadPage(rec.document_id, p);
      if (!md.ok()) return md.status().Annotate("chunk");
      ExtractedPage& page = pages[i];
      page.number = p;
      page.markdown = std::move(*md);
      if (p - 1 < static_cast<int>(extracted->page_labels.size())) page.label = extracted->page_labels[p - 1];
      return Status::Ok();
    }));
    Result<std::vector<Chunk>> chunks =
        ChunkDocument(rec.document_id, rec.processing_version, pages, *tokenizer_, options_, threads_, ctx.cancel);
    if (!chunks.ok()) return chunks.status();
    if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("chunking cancelled");
    if (static_cast<int64_t>(chunks->size()) > max_chunks_) {
      return LimitExceeded(rec.source_key, "max_chunks",
                           fmt::format("{} chunks is more than {}", chunks->size(), max_chunks_));
    }

    ChunkSet set;
    set.document_id = rec.document_id;
    set.processing_version = rec.processing_version;
    set.source_key = rec.source_key;
    set.tokenizer = tokenizer_->Name();
    set.options = options_;
    set.chunks = std::move(*chunks);
    int64_t tokens = 0;
    int max_tokens = 0;
    for (const Chunk& c : set.chunks) {
      tokens += c.token_count;
      max_tokens = std::max(max_tokens, c.token_count);
    }
    DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(set));

    StageResult result;
    result.output_key = ChunksKey(rec.document_id);
    result.chunks = static_cast<int64_t>(set.chunks.size());
    result.metrics = {{"chunks", set.chunks.size()},
                      {"tokens", tokens},
                      {"max_chunk_tokens", max_tokens},
                      {"tokenizer", set.tokenizer}};
    return result;
  }

 private:
  StageArtifacts artifacts_;
  TokenizerPtr tokenizer_;
  ChunkOptions options_;
  const int64_t max_chunks_;
  int threads_;  // sections packed at once
};

}  // namespace

StagePtr NewChunkStage(ObjectStore& store, TokenizerPtr tokenizer, ChunkOptions options, int64_t max_chunks,
                       int threads, StageOutputMemo* memo) {
  return std::make_unique<ChunkStage>(store, std::move(tokenizer), options, max_chunks, threads, memo);
}

}  // namespace docpipe
