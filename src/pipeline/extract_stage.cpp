#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

// U+FFFD, the character that stands for one no one could read.
bool HasReplacementChar(std::string_view utf8) { return utf8.find("\xEF\xBF\xBD") != std::string_view::npos; }

class ExtractStage final : public Stage {
 public:
  ExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select, TextCleaner clean)
      : store_(store), artifacts_(store), clock_(clock), select_(std::move(select)), clean_(std::move(clean)) {}

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
    int64_t unmapped_chars = 0;
    int ocr_tried = 0;
    PageSink sink = [&](ExtractedPage&& page) -> Status {
      doc.chars_per_page.push_back(page.chars);
      doc.page_labels.push_back(page.label);
      total_chars += page.chars;
      unmapped_chars += page.unmapped_chars;
      if (!page.has_text_layer) doc.pages_without_text.push_back(page.number);
      if (!page.ocr_reason.empty()) ++ocr_tried;
      if (page.ocr) {
        doc.ocr_pages.push_back({page.number, page.ocr_reason, std::round(page.ocr_confidence * 10) / 10,
                                 page.ocr_script, page.ocr_rotation});
      }
      // U+FFFD (a character no one could read) is never indexed, whichever
      // extractor let it through.
      if (HasReplacementChar(page.markdown)) page.markdown = clean_(page.markdown);
      return artifacts_.WritePage(rec.document_id, page.number, page.markdown);
    };
    ExtractOptions options;
    options.deadline_ms = ctx.deadline_ms;
    options.cancel = ctx.cancel;
    options.clock = &clock_;
    Result<ExtractSummary> summary = (*extractor)->Extract(local->path(), name, options, sink);
    if (!summary.ok()) return summary.status();
    // A document without a single character would be COMPLETED with nothing
    // to search: it fails instead, saying why.
    if (total_chars == 0) {
      std::string why = doc.pages_without_text.size() == static_cast<size_t>(summary->page_count)
                            ? fmt::format("none of its {} pages has a text layer", summary->page_count)
                            : fmt::format("its {} pages hold no text", summary->page_count);
      if (ocr_tried > 0) {
        why += fmt::format(", and OCR found no text on the {} pages it looked at", ocr_tried);
      } else if (summary->format == "pdf") {
        why += " (OCR is off: set ocr.enabled = true to read scanned pages)";
      }
      return Status::InvalidInput(name + ": no text found: " + why);
    }
    doc.extraction_ms = clock_.MonotonicMs() - started;
    doc.format = summary->format;
    doc.title = summary->title;
    doc.page_count = summary->page_count;
    doc.unmapped_chars = unmapped_chars;
    for (const HeadingEntry& h : summary->outline) {
      if (HasReplacementChar(h.text)) continue;  // never a heading (breadcrumbs come from the pages)
      doc.outline.push_back(h);
    }
    DOCPIPE_RETURN_IF_ERROR(artifacts_.Write(doc));
    // A previous version may have had more pages; its extra files must go.
    DOCPIPE_RETURN_IF_ERROR(artifacts_.RemovePagesAfter(rec.document_id, summary->page_count));

    StageResult result;
    result.output_key = ExtractedPrefix(rec.document_id);
    result.pages = summary->page_count;
    result.metrics = {{"pages", summary->page_count},
                      {"chars", total_chars},
                      {"pages_without_text", doc.pages_without_text.size()},
                      {"ocr_pages", doc.ocr_pages.size()},
                      {"headings", summary->outline.size()},
                      {"format", summary->format}};
    return result;
  }

 private:
  ObjectStore& store_;
  StageArtifacts artifacts_;
  Clock& clock_;
  ExtractorSelector select_;
  TextCleaner clean_;
};

}  // namespace

StagePtr NewExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select, TextCleaner clean) {
  return std::make_unique<ExtractStage>(store, clock, std::move(select), std::move(clean));
}

}  // namespace docpipe
