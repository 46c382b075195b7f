#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "extract/extractor.h"

// The geometry of one page's text, independent of the PDF library, and its
// conversion to Markdown. Kept apart from MuPDF so the layout rules can be
// tested with hand-built pages.
namespace docpipe {

// A run of characters in one style with no wide gap inside.
struct TextSpan {
  std::string text;  // UTF-8
  float x0 = 0, x1 = 0;
  float size = 0;
  bool bold = false;
  bool mono = false;
  int chars = 0;  // code points
  bool gap_before = false;  // separated from the previous span by a column-wide gap
};

// Gap between spans, in multiples of the font size, that separates columns.
inline constexpr float kCellGapEm = 1.2f;
// Spans sharing a baseline, left to right.
struct TextLine {
  std::vector<TextSpan> spans;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // y grows downwards
};

// Lines the PDF reader grouped together (usually a paragraph).
struct TextBlock {
  std::vector<TextLine> lines;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct PageLayout {
  float width = 0, height = 0;
  std::vector<TextBlock> blocks;  // in reading (content stream) order
};

// Running estimate of the body text size: the size carrying the most
// characters over the pages seen so far (monospace text excluded).
class FontSizeStats {
 public:
  //! Adds the characters of `page` to the histogram.
  void Add(const PageLayout& page);
  //! Most common size so far; 0 before any text was seen.
  float BodySize() const;

 private:
  std::map<int, int64_t> chars_by_half_point_;
};

struct PageMarkdown {
  std::string markdown;
  std::vector<HeadingEntry> headings;
};

// Renders `page` as Markdown. `body_size` is the document's body text size;
// larger or bold short blocks become headings.
PageMarkdown RenderPageMarkdown(PageLayout page, float body_size, int page_number);

}  // namespace docpipe
