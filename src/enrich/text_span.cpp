#include "enrich/text_span.h"

#include <algorithm>
#include <string>

#include "common/utf8.h"

namespace docpipe {

Utf8Index::Utf8Index(std::string_view text) : cp_before_(text.size() + 1) {
  uint32_t cp = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    cp_before_[i] = cp;
    if (!IsUtf8Continuation(text[i])) ++cp;
  }
  cp_before_[text.size()] = cp;
}

size_t ByteOfCodePoint(std::string_view text, int64_t cp) {
  if (cp <= 0) return 0;
  int64_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsUtf8Continuation(text[i])) continue;
    if (seen == cp) return i;
    ++seen;
  }
  return text.size();
}

std::vector<Span> ResolveOverlaps(std::vector<Span> spans) {
  std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    size_t la = a.end - a.begin, lb = b.end - b.begin;
    if (la != lb) return la > lb;
    if (a.score != b.score) return a.score > b.score;
    return a.begin < b.begin;
  });
  std::vector<Span> kept;
  for (const Span& s : spans) {
    if (s.end <= s.begin) continue;
    bool overlaps = std::any_of(kept.begin(), kept.end(),
                                [&](const Span& k) { return s.begin < k.end && k.begin < s.end; });
    if (!overlaps) kept.push_back(s);
  }
  std::sort(kept.begin(), kept.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  return kept;
}

std::vector<Entity> ToEntities(std::string_view text, const std::vector<Span>& spans) {
  std::vector<Entity> out;
  if (spans.empty()) return out;
  Utf8Index index(text);
  out.reserve(spans.size());
  for (const Span& s : spans) {
    Entity e;
    e.type = std::string(s.type);
    e.text = std::string(text.substr(s.begin, s.end - s.begin));
    e.score = s.score;
    e.begin_offset = index.CodePointAt(s.begin);
    e.end_offset = index.CodePointAt(s.end);
    e.begin_byte = static_cast<int64_t>(s.begin);
    e.end_byte = static_cast<int64_t>(s.end);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace docpipe
