#include "extract/extractor_registry.h"

namespace docpipe {

std::vector<std::string> SupportedSuffixes() {
  return {".pdf", ".md", ".markdown", ".txt", ".text", ".png", ".jpg", ".jpeg", ".tif", ".tiff"};
}

std::vector<ExtractorPtr> NewDefaultExtractors() {
  std::vector<ExtractorPtr> out;
  out.push_back(NewPdfExtractor());
  out.push_back(NewTextExtractor());
  return out;
}

Result<Extractor*> SelectExtractor(const std::vector<ExtractorPtr>& extractors, const std::string& key,
                                   std::string_view head) {
  for (const ExtractorPtr& e : extractors) {
    if (e->CanHandle(key, head)) return e.get();
  }
  std::string list;
  for (const std::string& s : SupportedSuffixes()) list += (list.empty() ? "" : ", ") + s;
  return Status::InvalidInput(key + ": unsupported file type (supported: " + list + ")");
}

}  // namespace docpipe
