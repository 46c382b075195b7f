#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <future>

#include <fmt/format.h>

#include "pipeline/document_id.h"
#include "pipeline/document_limits.h"
#include "pipeline/object_keys.h"
#include "pipeline/registrar.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"

namespace docpipe {
namespace {

constexpr const char* kAttachmentsInfix = ".attachments/";
// Attachments inside attachments inside ... stop here (an e-mail quoting
// itself must not loop).
constexpr int kMaxAttachmentDepth = 3;

std::string ExtensionForType(const std::string& type) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"application/pdf", ".pdf"},
      {"message/rfc822", ".eml"},
      {"text/html", ".html"},
      {"text/plain", ".txt"},
      {"text/csv", ".csv"},
      {"text/markdown", ".md"},
      {"application/rtf", ".rtf"},
      {"text/rtf", ".rtf"},
      {"application/epub+zip", ".epub"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
      {"application/vnd.oasis.opendocument.text", ".odt"},
      {"application/vnd.oasis.opendocument.presentation", ".odp"},
      {"application/vnd.oasis.opendocument.spreadsheet", ".ods"},
      {"image/png", ".png"},
      {"image/jpeg", ".jpg"},
      {"image/tiff", ".tif"},
      {"image/webp", ".webp"},
  };
  for (const auto& [t, ext] : kTypes)
    if (type == t) return ext;
  return "";
}

int AttachmentDepth(const std::string& key) {
  int depth = 0;
  for (size_t at = key.find(kAttachmentsInfix); at != std::string::npos; at = key.find(kAttachmentsInfix, at + 1))
    ++depth;
  return depth;
}

// Pages are written in batches, in the background while the extractor goes
// on. Each page is its own object; written one by one, the local store's
// fsyncs cost 10 ms a page on this project's ext4 machines (24 s for a
// 2,415-page manual), and eight at once still 0.5 ms a page. A batch is made
// durable together (ObjectStore::PutMany: one sync for the local store,
// parallel uploads for S3). Two batches are in flight at most, so memory
// stays at a few hundred pages' text.
constexpr size_t kPagesPerBatch = 128;
constexpr size_t kBatchBytes = 4 << 20;
constexpr size_t kBatchesInFlight = 2;

// Errors come back in page order.
class PageWriter {
 public:
  explicit PageWriter(StageArtifacts& artifacts) : artifacts_(artifacts) {}
  ~PageWriter() { (void)Finish(); }
  PageWriter(const PageWriter&) = delete;
  PageWriter& operator=(const PageWriter&) = delete;

  //! Queues page `number`; fails with the error of an earlier batch.
  Status Write(const std::string& document_id, int number, std::string markdown) {
    batch_bytes_ += markdown.size();
    batch_.push_back(StagePage{number, std::move(markdown)});
    if (batch_.size() >= kPagesPerBatch || batch_bytes_ >= kBatchBytes) return Submit(document_id);
    return Status::Ok();
  }
  //! Writes what is queued (dropped without `document_id`) and waits for
  //! every batch in flight; the first error in page order.
  Status Finish(const std::string& document_id = {}) {
    Status first;
    if (!batch_.empty() && !document_id.empty()) first = Submit(document_id);
    batch_.clear();
    while (!in_flight_.empty()) {
      Status st = WaitOldest();
      if (first.ok()) first = std::move(st);
    }
    return first;
  }

 private:
  Status Submit(const std::string& document_id) {
    while (in_flight_.size() >= kBatchesInFlight) DOCPIPE_RETURN_IF_ERROR(WaitOldest());
    in_flight_.push_back(std::async(std::launch::async, [this, document_id, pages = std::move(batch_)] {
      return artifacts_.WritePages(document_id, pages);
    }));
    batch_.clear();
    batch_bytes_ = 0;
    return Status::Ok();
  }
  Status WaitOldest() {
    Status st = in_flight_.front().get();
    in_flight_.pop_front();
    return st;
  }

  StageArtifacts& artifacts_;
  std::vector<StagePage> batch_;
  size_t batch_bytes_ = 0;
  std::deque<std::future<Status>> in_flight_;
};

// U+FFFD, the character that stands for one no one could read.
bool HasReplacementChar(std::string_view utf8) { return utf8.find("\xEF\xBF\xBD") != std::string_view::npos; }

class ExtractStage final : public Stage {
 public:
  ExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select, TextCleaner clean, Registrar* registrar,
               DocumentLimits limits, int threads)
      : store_(store),
        artifacts_(store),
        clock_(clock),
        select_(std::move(select)),
        clean_(std::move(clean)),
        registrar_(registrar),
        limits_(limits),
        threads_(std::max(1, threads)) {}

  std::string Name() const override { return kExtractStage; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    const std::string& name = rec.source_key;

    // The size limit comes before a byte is read or copied.
    Result<ObjectInfo> info = store_.Head(rec.source_key);
    if (!info.ok()) return info.status().Annotate("reading " + name);
    if (info->size > limits_.max_bytes) {
      return LimitExceeded(name, "max_bytes",
                           fmt::format("{} bytes is more than {} bytes", info->size, limits_.max_bytes));
    }
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
    ExtractionBudget budget(limits_, name, info->size);
    PageWriter writer(artifacts_);
    PageSink sink = [&](ExtractedPage&& page) -> Status {
      // Past a limit the extractor stops at once: the sink's error ends it.
      DOCPIPE_RETURN_IF_ERROR(budget.AddPage(page.chars));
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
      return writer.Write(rec.document_id, page.number, std::move(page.markdown));
    };
    EmbeddedSink embedded = [&](EmbeddedDocument&& attachment) -> Status {
      return StoreAttachment(rec, std::move(attachment), &doc.attachments);
    };
    ExtractOptions options;
    options.deadline_ms = ctx.deadline_ms;
    options.cancel = ctx.cancel;
    options.clock = &clock_;
    options.embedded = &embedded;
    options.threads = threads_;
    Result<ExtractSummary> summary = (*extractor)->Extract(local->path(), name, options, sink);
    // A failed extraction (its deadline, say) writes none of the pages still
    // queued: they would be of no use, and a batch ends in a sync of the
    // file system, which takes seconds while other work writes.
    Status written = writer.Finish(summary.ok() ? rec.document_id : std::string());
    if (!summary.ok()) return summary.status();
    DOCPIPE_RETURN_IF_ERROR(written);
    // A document without a single character would be COMPLETED with nothing
    // to search: it fails instead, saying why.
    if (total_chars == 0) {
      // A text layer is what a PDF or a scan lacks (an image is read by OCR
      // only); a text, HTML or office file without text is empty or markup.
      static constexpr std::array<std::string_view, 6> kLayered = {"pdf", "png", "jpeg", "tiff", "webp", "image"};
      const bool layered = ocr_tried > 0 ||
                           std::find(kLayered.begin(), kLayered.end(), summary->format) != kLayered.end();
      std::string why =
          !layered ? fmt::format("the file is empty, or only whitespace and markup (read as {})", summary->format)
          : doc.pages_without_text.size() == static_cast<size_t>(summary->page_count)
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
    doc.properties = summary->properties;
    if (summary->warning_count > 0) doc.warnings = summary->warnings;
    if (std::string parent = AttachmentParentKey(rec.source_key); !parent.empty()) {
      doc.parent_document_id = DocumentIdForKey(parent);
      doc.parent_source_key = std::move(parent);
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
    if (!doc.attachments.empty()) result.metrics["attachments"] = doc.attachments.size();
    return result;
  }

 private:
  // Stores one attachment under its derived key and registers it (with the
  // same ETag fingerprint an S3 event would carry, so the Lambda and this
  // stage agree and a re-run is a duplicate). Unsupported types are listed
  // but not stored.
  Status StoreAttachment(const ControlRecord& rec, EmbeddedDocument&& attachment, std::vector<AttachmentNote>* list) {
    const int index = static_cast<int>(list->size()) + 1;
    AttachmentNote note;
    note.name = attachment.file_name;
    note.content_type = attachment.content_type;
    note.size = static_cast<int64_t>(attachment.data.size());
    note.source_key = AttachmentKey(rec.source_key, index, attachment.file_name, attachment.content_type);
    auto skip = [&](std::string why) {
      note.skipped = std::move(why);
      list->push_back(std::move(note));
      return Status::Ok();
    };
    const std::string& key = note.source_key;
    if (!registrar_) return skip("attachments are not registered in this configuration");
    if (AttachmentDepth(key) > kMaxAttachmentDepth)
      return skip(fmt::format("nested deeper than {} attachments", kMaxAttachmentDepth));
    if (attachment.data.empty()) return skip("empty");
    if (!select_(key, std::string_view(attachment.data).substr(0, 1024)).ok()) return skip("unsupported file type");
    // Write only when the bytes differ: a re-run must not change the ETag.
    Result<std::string> existing = store_.Get(key);
    if (!existing.ok() || *existing != attachment.data) DOCPIPE_RETURN_IF_ERROR(store_.Put(key, attachment.data));
    Result<ObjectInfo> info = store_.Head(key);
    if (!info.ok()) return info.status().Annotate("attachment " + key);
    Result<Registration> reg = registrar_->RegisterObject(
        key, info->size, info->etag, {{"parent_document_id", rec.document_id}, {"parent_source_key", rec.source_key}});
    if (!reg.ok()) return reg.status().Annotate("registering attachment " + key);
    note.document_id = reg->document_id;
    note.processing_version = reg->processing_version;
    list->push_back(std::move(note));
    return Status::Ok();
  }

  ObjectStore& store_;
  StageArtifacts artifacts_;
  Clock& clock_;
  ExtractorSelector select_;
  TextCleaner clean_;
  Registrar* registrar_;
  const DocumentLimits limits_;
  int threads_;  // pages read at once (ExtractOptions::threads)
};

}  // namespace

StagePtr NewExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select, TextCleaner clean,
                         Registrar* registrar, const DocumentLimits& limits, int threads) {
  return std::make_unique<ExtractStage>(store, clock, std::move(select), std::move(clean), registrar, limits,
                                        threads);
}

std::string AttachmentKey(const std::string& parent_key, int index, const std::string& file_name,
                          const std::string& content_type) {
  std::string safe;
  for (unsigned char c : file_name) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') safe += static_cast<char>(c);
    else if (!safe.empty() && safe.back() != '_') safe += '_';
    if (safe.size() >= 100) break;
  }
  while (!safe.empty() && (safe.front() == '.' || safe.front() == '_')) safe.erase(0, 1);
  if (safe.empty()) safe = "attachment";
  if (safe.find('.') == std::string::npos) safe += ExtensionForType(content_type);
  return fmt::format("{}{}{:02}-{}", parent_key, kAttachmentsInfix, index, safe);
}

std::string AttachmentParentKey(const std::string& key) {
  const size_t at = key.rfind(kAttachmentsInfix);
  return at == std::string::npos ? "" : key.substr(0, at);
}

}  // namespace docpipe
