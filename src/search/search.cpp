#include "search/search.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "common/strings.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

// Words too common to be worth highlighting.
const std::set<std::string>& Stopwords() {
  static const std::set<std::string> kWords = {
      "a",   "an",  "and", "are", "as",   "at",   "be",   "by",   "can",  "do",   "does", "for", "from",
      "how", "i",   "in",  "is",  "it",   "of",   "on",   "or",   "the",  "to",   "what", "when", "where",
      "which", "who", "why", "with", "you", "your", "this", "that", "there", "my", "we", "should", "will"};
  return kWords;
}

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '_'; }

// Byte ranges [begin, end) of words of `text` that start with a query term
// (so "index" also marks "indexes").
std::vector<std::pair<size_t, size_t>> TermHits(const std::string& text, const std::vector<std::string>& terms) {
  std::vector<std::pair<size_t, size_t>> hits;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordByte(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordByte(text[j])) ++j;
    std::string word = AsciiLower(text.substr(i, j - i));
    for (const std::string& t : terms) {
      if (word.size() >= t.size() && word.compare(0, t.size(), t) == 0 && word.size() <= t.size() + 3) {
        hits.push_back({i, j});
        break;
      }
    }
    i = j;
  }
  return hits;
}

}  // namespace

Result<SearchMode> ParseSearchMode(const std::string& mode) {
  if (mode == "hybrid") return SearchMode::kHybrid;
  if (mode == "vector") return SearchMode::kVector;
  if (mode == "keyword") return SearchMode::kKeyword;
  return Status::InvalidInput("unknown search mode '" + mode + "' (hybrid, vector, keyword)");
}

std::vector<std::string> QueryTerms(const std::string& query) {
  std::vector<std::string> terms;
  std::set<std::string> seen;
  std::string word;
  auto flush = [&] {
    std::string w = AsciiLower(word);
    word.clear();
    if (w.empty() || Stopwords().count(w) || !seen.insert(w).second) return;
    // Plural and verb endings removed so "indexes" highlights "index".
    for (const char* suffix : {"ing", "es", "ed", "s"}) {
      size_t n = std::char_traits<char>::length(suffix);
      if (w.size() > n + 3 && w.compare(w.size() - n, n, suffix) == 0) {
        w.resize(w.size() - n);
        break;
      }
    }
    terms.push_back(w);
  };
  for (unsigned char c : query) {
    if (IsWordByte(c)) {
      word.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return terms;
}

std::string MakeSnippet(const std::string& text, const std::vector<std::string>& terms, size_t max_chars,
                        const std::string& open, const std::string& close) {
  std::vector<std::pair<size_t, size_t>> hits = TermHits(text, terms);
  // The window start that covers the most hits.
  size_t best_start = 0;
  size_t best_count = 0;
  for (size_t a = 0; a < hits.size(); ++a) {
    size_t count = 0;
    for (size_t b = a; b < hits.size() && hits[b].second <= hits[a].first + max_chars; ++b) ++count;
    if (count > best_count) best_count = count, best_start = hits[a].first;
  }
  size_t start = best_start > max_chars / 4 ? best_start - max_chars / 4 : 0;
  if (start > 0) {
    size_t space = text.find_first_of(" \n", start);
    if (space != std::string::npos && space < best_start) start = space + 1;
  }
  start = Utf8Floor(text, start);
  size_t end = std::min(text.size(), start + max_chars);
  if (end < text.size()) {
    size_t space = text.find_last_of(" \n", end);
    if (space != std::string::npos && space > start + max_chars / 2) end = space;
  }
  end = Utf8Floor(text, end);

  std::string out = start > 0 ? "…" : "";
  size_t pos = start;
  for (const auto& [b, e] : hits) {
    if (b < start || e > end) continue;
    out.append(text, pos, b - pos);
    out += open;
    out.append(text, b, e - b);
    out += close;
    pos = e;
  }
  out.append(text, pos, end - pos);
  if (end < text.size()) out += "…";
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  // Collapse runs of spaces left by newlines.
  std::string collapsed;
  for (char c : out) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed.push_back(c);
  }
  return collapsed;
}

Result<std::vector<SearchResult>> RunSearch(Embedder* embedder, VectorIndex& index, const SearchRequest& request,
                                            std::string* degraded) {
  if (request.query.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidInput("the search query is empty");
  }
  if (request.k < 1 || request.k > 1000) {
    return Status::InvalidInput(fmt::format("-k must be between 1 and 1000, got {}", request.k));
  }
  SearchQuery q;
  q.text = request.query;
  q.mode = request.mode;
  // Twice as many candidates, so that chunks that only list titles and pages
  // (tables of contents, indexes: type "contents", chunk/chunker.cpp) can go
  // after the chunks that hold the text without leaving the list short.
  q.k = std::min(1000, 2 * request.k);
  q.document_id = request.document_id;
  if (request.mode != SearchMode::kKeyword) {
    if (embedder == nullptr) return Status::Internal("a vector or hybrid search needs an embedder");
    Result<EmbeddingBatch> e = embedder->Embed({request.query});
    if (!e.ok()) return e.status().Annotate("embedding the query");
    q.vector = std::move(e->vectors.front());
  }
  Result<std::vector<SearchHit>> hits = index.Search(q);
  if (!hits.ok()) return hits.status();
  if (degraded != nullptr) *degraded = request.mode == SearchMode::kKeyword ? "" : index.DenseDegraded();
  std::stable_partition(hits->begin(), hits->end(),
                        [](const SearchHit& h) { return h.chunk.type != "contents"; });
  if (hits->size() > static_cast<size_t>(request.k)) hits->resize(static_cast<size_t>(request.k));
  std::vector<SearchResult> out;
  for (SearchHit& h : *hits) out.push_back({static_cast<int>(out.size()) + 1, std::move(h)});
  return out;
}

std::string PageCitation(int page_start, int page_end, const std::string& label_start,
                         const std::string& label_end) {
  const std::string start = label_start.empty() ? std::to_string(page_start) : label_start;
  const std::string end = label_end.empty() ? std::to_string(page_end) : label_end;
  const bool labelled = start != std::to_string(page_start) || end != std::to_string(page_end);
  if (page_start == page_end) {
    return labelled ? fmt::format("p. {} ({})", start, page_start) : fmt::format("p. {}", page_start);
  }
  return labelled ? fmt::format("pp. {}\u2013{} ({}\u2013{})", start, end, page_start, page_end)
                  : fmt::format("pp. {}\u2013{}", page_start, page_end);
}

std::string PageCitation(const IndexedChunk& chunk) {
  return PageCitation(chunk.page_start, chunk.page_end, chunk.page_label_start, chunk.page_label_end);
}

}  // namespace docpipe
