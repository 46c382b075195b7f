#pragma once

#include <map>
#include <string>
#include <vector>

#include "extract/extractor.h"

// Rules that decide whether a short block of text may be a heading, and at
// which level, independent of the PDF library.
namespace docpipe {

// The section number a heading starts with: "2" / "2.1" / "2.1.3" / "A.2" /
// "IV." / "Chapter 3" / "Appendix B". depth 0 when there is none.
struct HeadingNumber {
  int depth = 0;
  std::string number;      // "2.1"
  size_t title_start = 0;  // byte offset of the text after the number
};
HeadingNumber ParseHeadingNumber(const std::string& text);

// Lines that look like headings by their font but never are one:
//! a table-of-contents entry (dot leaders, or a page number after a wide gap
//! or after a numbered title);
bool LooksLikeTocEntry(const std::string& text, bool gap_before_last_word);
//! a list of people ("A. Smith, B. Jones and C. Wu", e-mail addresses);
bool LooksLikeAuthorList(const std::string& text);
//! glyph garbage: U+FFFD, private-use characters, few letters, or letters
//! set one by one with spaces;
bool LooksLikeGarbage(const std::string& text);
//! a figure or table caption ("Figure 3: ...", "Table 2. ...").
bool LooksLikeCaption(const std::string& text);

// Folds text for comparing headings with outline titles: letters and digits
// only, case-folded, without accents or vowel marks, digits of any script as
// ASCII digits, Arabic-script letter variants as one letter.
std::string FoldForMatch(const std::string& text);

// A PDF outline (bookmarks) flattened in document order.
struct OutlineEntry {
  int level = 1;  // 1 = top
  std::string title;
  int page = 0;  // 1-based physical page, 0 when it points nowhere
  float y = -1;  // target height on the page (PDF space flipped, y down), -1 unknown
};

// Matches a page's heading candidates against the outline entries that
// point at it (or at the page before, where LaTeX sometimes leaves the
// anchor of a heading set at the top of the next page).
class OutlineIndex {
 public:
  explicit OutlineIndex(std::vector<OutlineEntry> entries);
  //! Whether the outline is worth following: two or more entries that point at pages.
  bool Usable() const { return usable_; }
  //! Deepest level in the outline.
  int MaxLevel() const { return max_level_; }
  //! The level of the unmatched entry on page `page` (or `page` - 1) whose
  //! title is `text` (with or without its number); 0 when none. A matched
  //! entry is used up.
  int Match(int page, const std::string& text);
  //! Whether Match would find an entry, without using it up.
  bool Has(int page, const std::string& text) const;
  //! The index of the entry Match would use, or -1.
  int Entry(int page, const std::string& text) const;
  //! Entries of pages before `page` that were never matched are dropped.
  void Forget(int page);

 private:

  std::vector<OutlineEntry> entries_;
  std::vector<std::string> folded_;        // FoldForMatch(title), per entry
  std::vector<std::string> folded_title_;  // the same without the section number
  std::vector<bool> used_;
  std::multimap<int, size_t> by_page_;
  bool usable_ = false;
  int max_level_ = 0;
};

}  // namespace docpipe
