#include <fmt/format.h>

#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

class ExtractStage final : public Stage {
 public:
  ExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select)
      : store_(store), artifacts_(store), clock_(clock), select_(std::move(select)) {}

  std::string Name() const override { return kExtractStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    const std::string& name = rec.source_key;

    Result<std::string> head = store_.GetRange(rec.source_key, 0, 1024);
    if (!head.ok()) return head.status().Annotate("reading " + name);
    if (head->empty()) return Status::InvalidInput(name + ": empty file");
    Result<Extractor*> extractor = select_(rec.source_key, *head);
    if (!extractor.ok()) return extractor.status();
    Result<LocalFile> local = store_.Fetch(rec.source_key);
    if (!local.ok()) return local.status().Annotate("reading " + name);

    const int64_t started = clock_.MonotonicMs();
    ExtractedDocument doc;
    doc.document_id = rec.document_id;
    doc.processing_version = rec.processing_version;
    doc.source_key = rec.source_key;
    int64_t total_chars = 0;
    PageSink sink = [&](ExtractedPage&& page) -> Status {
      doc.chars_per_page.push_back(page.chars);
      total_chars += page.chars;
      if (!page.has_text_layer) doc.pages_without_text.push_back(page.number);
      return artifacts_.WritePage(rec.document_id, page.number, page.markdown);
    };
    ExtractOptions options;
    options.deadline_ms = ctx.deadline_ms;
    options.cancel = ctx.cancel;
    options.clock = &clock_;
    Result<ExtractSummary> summary = (*extractor)->Extract(local->path(), name, options, sink);
    if (!summary.ok()) return summary.status();
    doc.extraction_ms = clock_.MonotonicMs() - started;
    doc.format = summary->format;
    doc.title = summary->title;
    doc.page_count = summary->page_count;
    doc.outline = summary->outline;
    DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(doc));
    // A previous version may have had more pages; its extra files must go.
    DOCPIPE_RETURN_IF_ERROR(artifacts_.RemovePagesAfter(rec.document_id, summary->page_count));

    StageResult result;
    result.output_key = ExtractedPrefix(rec.document_id);
    result.pages = summary->page_count;
    result.metrics = {{"pages", summary->page_count},
                      {"chars", total_chars},
                      {"pages_without_text", doc.pages_without_text.size()},
                      {"headings", summary->outline.size()},
                      {"format", summary->format}};
    return result;
  }

 private:
  ObjectStore& store_;
  StageArtifacts artifacts_;
  Clock& clock_;
  ExtractorSelector select_;
};

}  // namespace

StagePtr NewExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select) {
  return std::make_unique<ExtractStage>(store, clock, std::move(select));
}

}  // namespace docpipe
