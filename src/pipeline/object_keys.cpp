#include "pipeline/object_keys.h"

#include <cstdio>

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
  const std::string prefix = ExtractedPrefix(id);
  if (key.compare(0, prefix.size(), prefix) != 0) return 0;
  int page = 0;
  char tail = 0;
  if (std::sscanf(key.c_str() + prefix.size(), "page-%d.m%c", &page, &tail) == 2 && tail == 'd') return page;
  return 0;
}

std::vector<std::string> OutputKeys(const std::string& id) {
  return {ChunksKey(id), EnrichedKey(id), RedactedKey(id), EmbeddingsKey(id), ErrorKey(id)};
}

}  // namespace docpipe
