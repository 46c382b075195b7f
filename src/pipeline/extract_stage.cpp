#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "extract/extractor_registry.h"
#include "extract/text_normalizer.h"
#include "pipeline/document_id.h"
#include "pipeline/registrar.h"
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

class ExtractStage final : public Stage {
 public:
  ExtractStage(std::vector<ExtractorPtr> extractors, Registrar* registrar)
      : extractors_(std::move(extractors)), registrar_(registrar) {}

  std::string Name() const override { return "extract"; }

  Result<StageResult> Run(const StageContext& ctx) override {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    const std::string& name = rec.source_key;

    Result<std::string> head = store.GetRange(rec.source_key, 0, 1024);
    if (!head.ok()) return head.status().Annotate("reading " + name);
    if (head->empty()) return Status::InvalidInput(name + ": empty file");
    Result<Extractor*> extractor = SelectExtractor(extractors_, rec.source_key, *head);
    if (!extractor.ok()) return extractor.status();
    Result<LocalFile> local = store.Fetch(rec.source_key);
    if (!local.ok()) return local.status().Annotate("reading " + name);

    auto started = std::chrono::steady_clock::now();
    nlohmann::json chars_per_page = nlohmann::json::array();
    nlohmann::json pages_without_text = nlohmann::json::array();
    nlohmann::json page_labels = nlohmann::json::array();  // printed page numbers, "" unknown
    nlohmann::json ocr_pages = nlohmann::json::array();
    int64_t total_chars = 0;
    int64_t unmapped_chars = 0;
    int ocr_tried = 0;
    PageSink sink = [&](ExtractedPage&& page) -> Status {
      chars_per_page.push_back(page.chars);
      page_labels.push_back(page.label);
      total_chars += page.chars;
      unmapped_chars += page.unmapped_chars;
      if (!page.has_text_layer) pages_without_text.push_back(page.number);
      if (!page.ocr_reason.empty()) ++ocr_tried;
      if (page.ocr) {
        ocr_pages.push_back({{"page", page.number},
                             {"reason", page.ocr_reason},
                             {"confidence", std::round(page.ocr_confidence * 10) / 10},
                             {"script", page.ocr_script},
                             {"rotation", page.ocr_rotation}});
      }
      // U+FFFD (a character no one could read) is never indexed, whichever
      // extractor let it through.
      if (CountReplacementChars(page.markdown) > 0) page.markdown = NormalizeText(page.markdown);
      return store.Put(ExtractedPageKey(rec.document_id, page.number), page.markdown);
    };
    nlohmann::json attachments = nlohmann::json::array();
    EmbeddedSink embedded = [&](EmbeddedDocument&& doc) -> Status {
      return StoreAttachment(ctx, std::move(doc), &attachments);
    };
    ExtractOptions options;
    options.deadline_ms = ctx.deadline_ms;
    options.cancel = ctx.cancel;
    options.embedded = &embedded;
    Result<ExtractSummary> summary = (*extractor)->Extract(local->path(), name, options, sink);
    if (!summary.ok()) return summary.status();
    // A document without a single character would be COMPLETED with nothing
    // to search: it fails instead, saying why.
    if (total_chars == 0) {
      std::string why = pages_without_text.size() == static_cast<size_t>(summary->page_count)
                            ? fmt::format("none of its {} pages has a text layer", summary->page_count)
                            : fmt::format("its {} pages hold no text", summary->page_count);
      if (ocr_tried > 0) {
        why += fmt::format(", and OCR found no text on the {} pages it looked at", ocr_tried);
      } else if (summary->format == "pdf") {
        why += " (OCR is off: set ocr.enabled = true to read scanned pages)";
      }
      return Status::InvalidInput(name + ": no text found: " + why);
    }
    int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started).count();

    nlohmann::json outline = nlohmann::json::array();
    for (const HeadingEntry& h : summary->outline) {
      if (CountReplacementChars(h.text) > 0) continue;  // never a heading (breadcrumbs come from the pages)
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
        {"page_labels", page_labels},
        {"pages_without_text", pages_without_text},
        {"ocr_pages", ocr_pages},
        {"unmapped_chars", unmapped_chars},
        {"extraction_ms", elapsed_ms},
    };
    if (!summary->properties.empty()) metadata["properties"] = summary->properties;
    if (!attachments.empty()) metadata["attachments"] = attachments;
    if (const std::string parent = AttachmentParentKey(rec.source_key); !parent.empty())
      metadata["parent"] = {{"source_key", parent}, {"document_id", DocumentIdForKey(parent)}};
    if (summary->warning_count > 0) metadata["warnings"] = summary->warnings;
    const std::string metadata_key = ExtractedMetadataKey(rec.document_id);
    DOCPIPE_RETURN_IF_ERROR(store.Put(metadata_key, metadata.dump(2)));
    DOCPIPE_RETURN_IF_ERROR(RemoveStalePages(store, rec.document_id, summary->page_count));

    StageResult result;
    result.output_key = ExtractedPrefix(rec.document_id);
    result.pages = summary->page_count;
    result.metrics = {{"pages", summary->page_count},
                      {"chars", total_chars},
                      {"pages_without_text", pages_without_text.size()},
                      {"ocr_pages", ocr_pages.size()},
                      {"headings", summary->outline.size()},
                      {"format", summary->format}};
    if (!attachments.empty()) result.metrics["attachments"] = attachments.size();
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

  // Stores one attachment under its derived key and registers it (with the
  // same ETag fingerprint an S3 event would carry, so the Lambda and this
  // stage agree and a re-run is a duplicate). Unsupported types are listed
  // but not stored.
  Status StoreAttachment(const StageContext& ctx, EmbeddedDocument&& doc, nlohmann::json* list) {
    const ControlRecord& rec = ctx.record;
    ObjectStore& store = ctx.services.store;
    const int index = static_cast<int>(list->size()) + 1;
    const std::string key = AttachmentKey(rec.source_key, index, doc.file_name, doc.content_type);
    nlohmann::json entry = {{"name", doc.file_name}, {"content_type", doc.content_type},
                            {"size", doc.data.size()}, {"source_key", key}};
    auto skip = [&](const std::string& why) {
      entry["skipped"] = why;
      list->push_back(std::move(entry));
      return Status::Ok();
    };
    if (!registrar_) return skip("attachments are not registered in this configuration");
    if (AttachmentDepth(key) > kMaxAttachmentDepth)
      return skip(fmt::format("nested deeper than {} attachments", kMaxAttachmentDepth));
    if (doc.data.empty()) return skip("empty");
    if (!SelectExtractor(extractors_, key, std::string_view(doc.data).substr(0, 1024)).ok())
      return skip("unsupported file type");
    // Write only when the bytes differ: a re-run must not change the ETag.
    Result<std::string> existing = store.Get(key);
    if (!existing.ok() || *existing != doc.data) DOCPIPE_RETURN_IF_ERROR(store.Put(key, doc.data));
    Result<ObjectInfo> info = store.Head(key);
    if (!info.ok()) return info.status().Annotate("attachment " + key);
    Result<Registration> reg = registrar_->RegisterObject(
        key, info->size, info->etag, {{"parent_document_id", rec.document_id}, {"parent_source_key", rec.source_key}});
    if (!reg.ok()) return reg.status().Annotate("registering attachment " + key);
    entry["document_id"] = reg->document_id;
    entry["processing_version"] = reg->processing_version;
    list->push_back(std::move(entry));
    return Status::Ok();
  }

  std::vector<ExtractorPtr> extractors_;
  Registrar* registrar_;
};

}  // namespace

StagePtr NewExtractStage(std::vector<ExtractorPtr> extractors, Registrar* registrar) {
  return std::make_unique<ExtractStage>(std::move(extractors), registrar);
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
