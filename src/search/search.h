#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "embed/embedder.h"
#include "index/vector_index.h"

namespace docpipe {

struct SearchRequest {
  std::string query;
  int k = 5;
  std::string document_id;  // "" = all documents
  SearchMode mode = SearchMode::kHybrid;
};

struct SearchResult {
  int rank = 0;  // 1-based
  SearchHit hit;
};

// Embeds the query (unless keyword-only) and asks the index for 2k hits, of
// which it keeps the best k, those of type "contents" (tables of contents and
// indexes) after all the others. InvalidInput for
// an empty query or k outside 1..1000. `embedder` may be null for a keyword
// search (it embeds nothing); Internal when another mode gets none.
// `degraded`, when given, receives VectorIndex::DenseDegraded() for a vector
// or hybrid search ("" when its dense results are whole).
Result<std::vector<SearchResult>> RunSearch(Embedder* embedder, VectorIndex& index, const SearchRequest& request,
                                            std::string* degraded = nullptr);

// The query's words, lower-cased, without stopwords and duplicates.
std::vector<std::string> QueryTerms(const std::string& query);

// A window of about `max_chars` of `text` around the densest cluster of query
// terms, terms wrapped in `open`/`close`, "…" where the text was cut. Never
// splits a UTF-8 sequence; newlines become spaces.
std::string MakeSnippet(const std::string& text, const std::vector<std::string>& terms, size_t max_chars,
                        const std::string& open, const std::string& close);

Result<SearchMode> ParseSearchMode(const std::string& mode);

// How a hit cites its pages: the printed page label with the physical page
// number (1-based) in brackets when they differ ("p. xii (15)",
// "pp. xii–xiv (15–17)"), the number alone otherwise ("p. 15", "pp. 15–17").
// An empty label is unknown: the number stands in for it.
std::string PageCitation(int page_start, int page_end, const std::string& label_start,
                         const std::string& label_end);
std::string PageCitation(const IndexedChunk& chunk);

}  // namespace docpipe
