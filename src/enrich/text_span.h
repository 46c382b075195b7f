#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "enrich/enricher.h"

namespace docpipe {

// A detection before it becomes an Entity: byte range, type, confidence.
struct Span {
  size_t begin = 0;  // bytes
  size_t end = 0;
  double score = 0;
  std::string_view type;  // points at a string literal
};

// Maps UTF-8 byte offsets of one text to code point offsets (Comprehend's
// offsets) in O(1) after an O(n) pass. Invalid UTF-8 still maps monotonically:
// every byte that is not a continuation byte starts a code point.
class Utf8Index {
 public:
  explicit Utf8Index(std::string_view text);
  //! Code points that start before byte `byte` (byte <= text size).
  int64_t CodePointAt(size_t byte) const { return cp_before_[byte]; }

 private:
  std::vector<uint32_t> cp_before_;
};

//! Byte offset of code point `cp` in `text` (text size if past the end).
size_t ByteOfCodePoint(std::string_view text, int64_t cp);

//! Drops overlapping spans (the longer wins, then the higher score), sorted by begin.
std::vector<Span> ResolveOverlaps(std::vector<Span> spans);

//! Entities for `spans` of `text`, with code point and byte offsets.
std::vector<Entity> ToEntities(std::string_view text, const std::vector<Span>& spans);

}  // namespace docpipe
