#include <chrono>

#include <fmt/format.h>

#include "pipeline/document_id.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class ExtractStage final : public Stage {
 public:
  explicit ExtractStage(ExtractorSelector select) : select_(std::move(select)) {}

  std::string Name() const override { return "extract"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    const std::string& name = rec.source_key;

    Result<std::string> head = store.GetRange(rec.source_key, 0, 1024);
    if (!head.ok()) return head.status().Annotate("reading " + name);
    if (head->empty()) return Status::InvalidInput(name + ": empty file");
    Result<Extractor*> extractor = select_(rec.source_key, *head);
    if (!extractor.ok()) return extractor.status();
    Result<LocalFile> local = store.Fetch(rec.source_key);
    if (!local.ok()) return local.status().Annotate("reading " + name);

    auto started = std::chrono::steady_clock::now();
    nlohmann::json chars_per_page = nlohmann::json::array();
    nlohmann::json pages_without_text = nlohmann::json::array();
    int64_t total_chars = 0;
    PageSink sink = [&](ExtractedPage&& page) -> Status {
      chars_per_page.push_back(page.chars);
      total_chars += page.chars;
      if (!page.has_text_layer) pages_without_text.push_back(page.number);
      return store.Put(ExtractedPageKey(rec.document_id, page.number), page.markdown);
    };
    ExtractOptions options;
    options.deadline_ms = ctx.deadline_ms;
    options.cancel = ctx.cancel;
    Result<ExtractSummary> summary = (*extractor)->Extract(local->path(), name, options, sink);
    if (!summary.ok()) return summary.status();
    int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started).count();

    nlohmann::json outline = nlohmann::json::array();
    for (const HeadingEntry& h : summary->outline) {
      outline.push_back({{"level", h.level}, {"text", h.text}, {"page", h.page}});
    }
    nlohmann::json metadata = {
        {"document_id", rec.document_id},
        {"processing_version", rec.processing_version},
        {"source_key", rec.source_key},
        {"format", summary->format},
        {"title", summary->title},
        {"page_count", summary->page_count},
        {"outline", outline},
        {"chars_per_page", chars_per_page},
        {"pages_without_text", pages_without_text},
        {"extraction_ms", elapsed_ms},
    };
    const std::string metadata_key = ExtractedMetadataKey(rec.document_id);
    DOCPIPE_RETURN_IF_ERROR(store.Put(metadata_key, metadata.dump(2)));
    DOCPIPE_RETURN_IF_ERROR(RemoveStalePages(store, rec.document_id, summary->page_count));

    StageResult result;
    result.output_key = ExtractedPrefix(rec.document_id);
    result.pages = summary->page_count;
    result.metrics = {{"pages", summary->page_count},
                      {"chars", total_chars},
                      {"pages_without_text", pages_without_text.size()},
                      {"headings", summary->outline.size()},
                      {"format", summary->format}};
    return result;
  }

 private:
  // A previous version may have had more pages; its extra files must go.
  static Status RemoveStalePages(ObjectStore& store, const std::string& id, int page_count) {
    Result<std::vector<ObjectInfo>> objects = store.List(ExtractedPrefix(id));
    if (!objects.ok()) return objects.status();
    for (const ObjectInfo& o : *objects) {
      int page = 0;
      if (std::sscanf(o.key.c_str() + ExtractedPrefix(id).size(), "page-%d.md", &page) == 1 &&
          page > page_count) {
        DOCPIPE_RETURN_IF_ERROR(store.Delete(o.key));
      }
    }
    return Status::Ok();
  }

  ExtractorSelector select_;
};

}  // namespace

StagePtr NewExtractStage(ExtractorSelector select) { return std::make_unique<ExtractStage>(std::move(select)); }

}  // namespace docpipe
