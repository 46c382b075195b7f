#pragma once

#include <deque>
#include <string>
#include <vector>

#include "extract/page_layout.h"

namespace docpipe {

// Finds page furniture: running headers and footers (lines repeated at the
// same height in the top or bottom band of nearby pages, digits allowed to
// vary, so "Chapter 2  17" matches "Chapter 2  19" and odd/even headers each
// match their own side, or each other's when the page number changes ends)
// and bare page numbers; on slides (landscape pages),
// not a bold top line near body size (the slide's title, repeated on each
// overlay step of its frame), and also a navigation column down a side
// edge: at least kMinSideLines lines in the outer strip of the width, each
// repeated at the same place on nearby slides (beamer's sidebar table of
// contents). Pages stream through a window
// of kWindow pages on each side: memory holds only the short candidate lines
// of 2 * kWindow + 1 pages, whatever the page count.
//
// Usage: Add() pages in order; Strip(n) once page n + kWindow was added or
// the document ended. Not thread-safe.
class FurnitureDetector {
 public:
  static constexpr int kWindow = 6;

  //! Records the candidate lines of page `number` (1-based, strictly increasing).
  //! `body_size` is the document's body text size so far (0: unknown).
  void Add(int number, const PageLayout& page, float body_size);

  //! Removes page `number`'s furniture lines from `page` (the same layout that
  //! was added) and forgets pages that can no longer matter. Returns the
  //! printed page number found in the furniture ("17", "xii"), or empty.
  //! The removed lines' texts go to `removed` when it is not null.
  std::string Strip(int number, PageLayout& page, std::vector<std::string>* removed = nullptr);

  //! Where running headers and footers sit, as fractions of the page height.
  struct Bands {
    float top, bottom;
  };

 private:
  static constexpr float kSlideTopBand = 0.2f;
  // A header that names each page's topic beside the page number is short.
  static constexpr size_t kMaxTopicHeaderWords = 6;
  // A slide's navigation column: lines wholly inside the outer 25 % of the
  // width, at least three of them repeated (one or two repeated lines there
  // are more likely content that overlays repeat).
  static constexpr float kSlideSideBand = 0.25f;
  static constexpr int kMinSideLines = 3;
  Bands BandsOf(const PageLayout& page) const;

  struct Candidate {
    bool top = false;
    float y = 0;                     // baseline (bottom of the line box)
    std::string key;                 // text with numbers masked
    std::vector<std::string> cells;  // the same, per piece between wide gaps
    std::string first;               // first and last words, for page-number tokens
    std::string last;
    std::string number;              // a bare page-number line: its number ("17", "xii")
    std::string without_first;       // key of the text without its first word
    std::string without_last;        // ... without its last word
  };
  struct SideLine {  // a line inside a slide's left or right strip
    float x = 0;     // left edge
    float y = 0;     // baseline
    std::string key;  // text
  };
  struct PageLines {
    int number = 0;
    std::vector<SideLine> side;
    std::vector<Candidate> lines;
  };

  //! Pages in the window other than `number` with a line like `c`, or
  //! (pieces of one baseline can come folded or apart) with lines holding
  //! each of its pieces: the smallest count over the pieces.
  int Matches(int number, const Candidate& c) const;
  //! Whether numeric token `token` of `c` on page `number` counts pages:
  //! the same line on another page carries the value shifted by the page distance.
  bool CountsPages(int number, const Candidate& c, bool first) const;
  //! Pages nearby whose line at `c`'s place (not a bare page number) has at
  //! its first (`number_first`) or last word a number counting the pages from
  //! `value`, and for which `agrees(line)` holds.
  template <typename Agrees>
  int PagesCounting(int number, const Candidate& c, int value, bool number_first, Agrees agrees) const;
  //! Pages nearby whose line at the same place carries a page-counting
  //! number at the same end as `c` and starts (ends) with the same word,
  //! whatever the rest: "File amsbook.def 2", "File artikel3.def 3"; with
  //! `any_text`, whatever else it says ("456 prop.table", "458 proportions").
  int PagesCountedWithOtherText(int number, const Candidate& c, bool first, bool any_text) const;
  //! Pages nearby whose line at the same place says what `c` says with the
  //! page number at the other end ("12 Usage" here, "Usage 13" there), the
  //! numbers counting the pages; `first`: `c`'s number is its first word.
  int PagesMirrored(int number, const Candidate& c, bool first) const;
  //! Whether a bare page number `value` at height `y` on page `number` counts
  //! pages with a bare number at the same place on a page nearby.
  bool NumberCountsPages(int number, bool top, float y, const std::string& value) const;

  std::deque<PageLines> window_;
  // Where running headers and footers sit: LaTeX on A4 puts the folio 17 %
  // above the bottom edge, and with a wide top margin the header 12.7 %
  // below the top (xcolor's, lineno's manuals); a top band as deep as the
  // bottom one would take in captions under figures at the top of the text
  // block.
  float top_band_ = 0.15f;
  float bottom_band_ = 0.2f;
};

// Whether `text` is a bare printed page number: "17", "- 17 -", "Page 17",
// "17 / 230", "xii". Sets *label to the number itself when it is.
bool IsPageNumberLine(const std::string& text, std::string* label);

}  // namespace docpipe
