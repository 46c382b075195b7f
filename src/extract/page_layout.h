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
  float gap = 0;            // space before this span, in multiples of the font size
};

// Gap between spans, in multiples of the font size, that separates columns.
inline constexpr float kCellGapEm = 1.2f;
// Narrower gaps that still start a new span: columns of a ruled table can be
// this close (LaTeX's default column separation is 1.2 em at 10 pt).
inline constexpr float kSpanGapEm = 0.8f;
// Spans sharing a baseline, left to right.
struct TextLine {
  std::vector<TextSpan> spans;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // y grows downwards
  // Baseline of the line's largest characters; 0 when the reader gives none
  // (OCR). The box's bottom moves with a descending symbol, the baseline not.
  float baseline = 0;
};

// Lines the PDF reader grouped together (usually a paragraph).
struct TextBlock {
  std::vector<TextLine> lines;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::string markdown;  // already rendered (a table found from the rules); lines empty
  bool code = false;     // set inside a shaded or framed box that holds code
};

// An axis-aligned line the page draws (a stroke, or a filled rectangle thin
// enough to be a rule: LaTeX and booktabs draw their rules that way).
struct Rule {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool Horizontal() const { return x1 - x0 >= y1 - y0; }
};

// A filled or framed rectangle large enough to hold text (shaded code
// boxes, framed listings, table cell backgrounds).
struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool filled = false;    // false: only its outline is drawn
  float lightness = 1;    // of the fill, 0 (black) to 1 (white)
};

struct PageLayout {
  float width = 0, height = 0;
  std::vector<TextBlock> blocks;  // in reading (content stream) order
  std::vector<Rule> rules;        // drawn lines, for ruled tables
  std::vector<Box> boxes;         // drawn rectangles, for shaded code and tables
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

// The text of a line, its cells joined by single spaces.
std::string LineText(const TextLine& line);

// Folds pieces of one baseline back into one line (MuPDF splits lines at
// wide gaps) and splits blocks where the style changes (a heading set right
// above its text). Done once per page, before furniture and rendering.
void NormalizeLines(PageLayout& page);

class OutlineIndex;

// Turns normalized page layouts into Markdown, page after page, keeping
// what it learns across pages (which font style numbered headings of each
// depth use). Not thread-safe.
class MarkdownRenderer {
 public:
  //! `outline` (may be null, must outline the renderer) anchors headings when
  //! usable; `slides`: pages are presentation slides (title = heading).
  MarkdownRenderer(OutlineIndex* outline, bool slides) : outline_(outline), slides_(slides) {}
  //! Renders `page`; `body_size` is the document's body text size.
  PageMarkdown Render(PageLayout page, float body_size, int page_number);

 private:
  //! The heading level of `block` (`text` joined), 0 for none. When only the
  //! line's first cell is an outline title, that cell goes to `*title` and
  //! the line's other cells to `*rest`.
  int HeadingLevel(const TextBlock& block, float body_size, const std::string& text, int page_number,
                   std::string* title, std::string* rest);
  bool IsMonospacedOutlineTitle(const TextBlock& block, int page_number) const;

  OutlineIndex* outline_;
  bool slides_;
  std::map<int, int> level_by_style_;  // (size in half points * 2 + bold) -> level
  // Outline entries whose title a whole block of the page being rendered
  // says: a line that only starts with one of them does not take it.
  std::vector<int> entries_of_whole_blocks_;
};

// Renders one page on its own (normalizing it first), without an outline.
PageMarkdown RenderPageMarkdown(PageLayout page, float body_size, int page_number);

}  // namespace docpipe
