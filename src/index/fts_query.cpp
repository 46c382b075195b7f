#include "index/fts_query.h"

#include <cctype>
#include <set>
#include <vector>

namespace docpipe {
namespace {

// Bytes >= 0x80 belong to multi-byte UTF-8 characters; keeping them inside
// words lets unicode61 decide what is a separator for non-ASCII text.
bool IsWordByte(unsigned char c) { return c >= 0x80 || std::isalnum(c) != 0; }

// Function words match most chunks: BM25 gives them almost no weight, yet
// OR-ing them makes FTS5 score nearly every row (300+ ms at 100k chunks).
bool IsStopword(const std::string& w) {
  static const std::set<std::string> kStopwords = {
      "a",     "about", "an",   "and",  "are",   "as",    "at",    "be",   "been", "but",  "by",    "can",
      "could", "did",   "do",   "does", "for",   "from",  "had",   "has",  "have", "how",  "i",     "if",
      "in",    "into",  "is",   "it",   "its",   "me",    "my",    "no",   "not",  "of",   "on",    "or",
      "our",   "should", "so",  "some", "such",  "than",  "that",  "the",  "their", "them", "then", "there",
      "these", "they",  "this", "those", "to",   "was",   "we",    "were", "what", "when", "where", "which",
      "while", "who",   "whom", "why",  "will",  "with",  "would", "you",  "your"};
  return kStopwords.count(w) > 0;
}

}  // namespace

std::vector<std::string> FtsQueryWords(const std::string& text, int max_terms) {
  std::vector<std::string> terms;
  std::set<std::string> seen;
  size_t i = 0;
  while (i < text.size() && static_cast<int>(terms.size()) < max_terms) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    std::string word = text.substr(start, i - start);
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (seen.insert(word).second) terms.push_back(std::move(word));
  }
  // Drop function words unless nothing else is left to search for.
  std::vector<std::string> content;
  for (const std::string& t : terms) {
    if (!IsStopword(t)) content.push_back(t);
  }
  if (!content.empty()) terms = std::move(content);
  return terms;
}

std::string FtsOrExpression(const std::vector<std::string>& words) {
  // A word never contains '"' (it is not a word byte), so quoting needs no
  // escaping.
  std::string expr;
  for (const std::string& t : words) {
    if (!expr.empty()) expr += " OR ";
    expr += '"';
    expr += t;
    expr += '"';
  }
  return expr;
}

std::string BuildFtsMatchExpression(const std::string& text, int max_terms) {
  return FtsOrExpression(FtsQueryWords(text, max_terms));
}

}  // namespace docpipe
