#include <fmt/format.h>

#include "pipeline/document_id.h"
#include "pipeline/stage_io.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class ChunkStage final : public Stage {
 public:
  ChunkStage(TokenizerPtr tokenizer, ChunkOptions options)
      : tokenizer_(std::move(tokenizer)), options_(options) {}

  std::string Name() const override { return "chunk"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    Result<nlohmann::json> meta = ReadStageJson(store, ExtractedMetadataKey(rec.document_id), rec);
    if (!meta.ok()) return meta.status().Annotate("chunk needs the extract output");
    if (!(*meta)["page_count"].is_number_integer()) {
      return Status::Internal(ExtractedMetadataKey(rec.document_id) + " has no page_count");
    }
    const int page_count = (*meta)["page_count"].get<int>();
    const nlohmann::json labels = meta->value("page_labels", nlohmann::json::array());
    std::vector<ExtractedPage> pages;
    pages.reserve(page_count);
    for (int p = 1; p <= page_count; ++p) {
      if (ctx.cancel != nullptr && ctx.cancel->load()) return Status::Cancelled("chunking cancelled");
      Result<std::string> md = store.Get(ExtractedPageKey(rec.document_id, p));
      if (!md.ok()) return md.status().Annotate("chunk reading page " + std::to_string(p));
      ExtractedPage page;
      page.number = p;
      page.markdown = std::move(*md);
      if (labels.is_array() && p - 1 < static_cast<int>(labels.size()) && labels[p - 1].is_string()) {
        page.label = labels[p - 1].get<std::string>();
      }
      pages.push_back(std::move(page));
    }
    Result<std::vector<Chunk>> chunks =
        ChunkDocument(rec.document_id, rec.processing_version, pages, *tokenizer_, options_);
    if (!chunks.ok()) return chunks.status();

    int64_t tokens = 0;
    int max_tokens = 0;
    nlohmann::json items = nlohmann::json::array();
    for (const Chunk& c : *chunks) {
      tokens += c.token_count;
      max_tokens = std::max(max_tokens, c.token_count);
      items.push_back(ToJson(c));
    }
    nlohmann::json doc = {
        {"document_id", rec.document_id},
        {"processing_version", rec.processing_version},
        {"source_key", rec.source_key},
        {"tokenizer", tokenizer_->Name()},
        {"options",
         {{"target_tokens", options_.target_tokens},
          {"min_tokens", options_.min_tokens},
          {"max_tokens", options_.max_tokens},
          {"overlap_tokens", options_.overlap_tokens}}},
        {"chunk_count", chunks->size()},
        {"chunks", std::move(items)},
    };
    const std::string key = ChunksKey(rec.document_id);
    DOCPIPE_RETURN_IF_ERROR(store.Put(key, doc.dump(1)));

    StageResult result;
    result.output_key = key;
    result.chunks = static_cast<int64_t>(chunks->size());
    result.metrics = {{"chunks", chunks->size()},
                      {"tokens", tokens},
                      {"max_chunk_tokens", max_tokens},
                      {"tokenizer", tokenizer_->Name()}};
    return result;
  }

 private:
  TokenizerPtr tokenizer_;
  ChunkOptions options_;
};

}  // namespace

StagePtr NewChunkStage(TokenizerPtr tokenizer, ChunkOptions options) {
  return std::make_unique<ChunkStage>(std::move(tokenizer), options);
}

}  // namespace docpipe
