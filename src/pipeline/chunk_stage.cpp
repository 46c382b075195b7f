#include <algorithm>

#include <fmt/format.h>

#include "pipeline/document_limits.h"
#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class ChunkStage final : public Stage {
 public:
  ChunkStage(ObjectStore& store, TokenizerPtr tokenizer, ChunkOptions options, int64_t max_chunks)
      : artifacts_(store), tokenizer_(std::move(tokenizer)), options_(options), max_chunks_(max_chunks) {}

  std::string Name() const override { return kChunkStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    Result<ExtractedDocument> extracted = artifacts_.ReadExtracted(rec);
    if (!extracted.ok()) return extracted.status().Annotate("chunk needs the extract output");
    std::vector<ExtractedPage> pages;
    pages.reserve(extracted->page_count);
    for (int p = 1; p <= extracted->page_count; ++p) {
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("chunking cancelled");
      Result<std::string> md = artifacts_.ReadPage(rec.document_id, p);
      if (!md.ok()) return md.status().Annotate("chunk");
      ExtractedPage page;
      page.number = p;
      page.markdown = std::move(*md);
      if (p - 1 < static_cast<int>(extracted->page_labels.size())) page.label = extracted->page_labels[p - 1];
      pages.push_back(std::move(page));
    }
    Result<std::vector<Chunk>> chunks =
        ChunkDocument(rec.document_id, rec.processing_version, pages, *tokenizer_, options_);
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
};

}  // namespace

StagePtr NewChunkStage(ObjectStore& store, TokenizerPtr tokenizer, ChunkOptions options, int64_t max_chunks) {
  return std::make_unique<ChunkStage>(store, std::move(tokenizer), options, max_chunks);
}

}  // namespace docpipe
