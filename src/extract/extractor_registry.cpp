#include "extract/extractor_registry.h"

namespace docpipe {

std::vector<std::string> SupportedSuffixes() {
  return {".pdf",  ".md",   ".markdown", ".txt",  ".text", ".docx",  ".docm", ".dotx", ".pptx",
          ".pptm", ".ppsx", ".xlsx",     ".xlsm", ".csv",  ".tsv",   ".html", ".htm",  ".xhtml",
          ".epub", ".odt",  ".odp",      ".ods",  ".rtf",  ".eml",   ".png",  ".jpg",  ".jpeg",
          ".tif",  ".tiff", ".webp"};
}

std::vector<ExtractorPtr> NewDefaultExtractors(const FormatOptions& options, OcrPool* ocr) {
  std::vector<ExtractorPtr> out;
  out.push_back(NewPdfExtractor(ocr));
  out.push_back(NewImageExtractor(ocr));
  out.push_back(NewZipDocumentExtractor(options));
  out.push_back(NewCompoundFileExtractor());
  out.push_back(NewRtfExtractor(options));
  out.push_back(NewHtmlExtractor(options));
  out.push_back(NewEmailExtractor(options));
  out.push_back(NewCsvExtractor(options));
  out.push_back(NewTextExtractor());
  return out;
}

Result<Extractor*> SelectExtractor(const std::vector<ExtractorPtr>& extractors, const std::string& key,
                                   std::string_view head) {
  // Content first: no key, so only what the bytes say counts.
  if (!head.empty()) {
    for (const ExtractorPtr& e : extractors) {
      if (e->CanHandle("", head)) return e.get();
    }
  }
  for (const ExtractorPtr& e : extractors) {
    if (e->CanHandle(key, head)) return e.get();
  }
  std::string list;
  for (const std::string& s : SupportedSuffixes()) list += (list.empty() ? "" : ", ") + s;
  return Status::InvalidInput(key + ": unsupported file type (supported: " + list + ")");
}

}  // namespace docpipe
