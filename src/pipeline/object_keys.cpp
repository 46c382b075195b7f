#include "pipeline/object_keys.h"

#include <string_view>

#include <fmt/format.h>

namespace docpipe {

std::string ExtractedPrefix(const std::string& id) { return "extracted/" + id + "/"; }
std::string ExtractedPageKey(const std::string& id, int page) {
  return fmt::format("extracted/{}/page-{:04}.md", id, page);
}
std::string ExtractedMetadataKey(const std::string& id) { return "extracted/" + id + "/metadata.json"; }
std::string ChunksKey(const std::string& id) { return "chunks/" + id + ".json"; }
std::string EnrichedKey(const std::string& id) { return "enriched/" + id + ".json"; }
std::string RedactedKey(const std::string& id) { return "redacted/" + id + ".json"; }
std::string EmbeddingsKey(const std::string& id) { return "embeddings/" + id + ".json"; }
std::string ErrorKey(const std::string& id) { return "errors/" + id + ".json"; }

int ExtractedPageNumber(const std::string& id, const std::string& key) {
  // Exactly ExtractedPrefix(id) + "page-" + digits + ".md".
  const std::string prefix = ExtractedPrefix(id) + "page-";
  constexpr std::string_view kSuffix = ".md";
  if (key.size() <= prefix.size() + kSuffix.size() || key.compare(0, prefix.size(), prefix) != 0 ||
      key.compare(key.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return 0;
  }
  const std::string_view digits(key.data() + prefix.size(), key.size() - prefix.size() - kSuffix.size());
  int page = 0;
  for (char c : digits) {
    if (c < '0' || c > '9' || page > 9'999'999) return 0;
    page = page * 10 + (c - '0');
  }
  return page;
}

std::vector<std::string> OutputKeys(const std::string& id) {
  return {ChunksKey(id), EnrichedKey(id), RedactedKey(id), EmbeddingsKey(id), ErrorKey(id)};
}

}  // namespace docpipe
