#pragma once

#include <string>
#include <vector>

// Layout quality measures of one document, each against an independent
// reference: pdftotext's text for running headers/footers and words, the
// PDF's own outline for headings. Shared by the layout tool here and by the
// rest of bench/quality.
namespace docpipe::bench {

// Lines pdftotext puts first or last (two each) on at least three pages,
// numbers masked ("GNU Octave (version #.#.#)", "Chapter #: Tables"), that
// never occur in the body part of a page: the running headers and footers.
// Bare page numbers are left out (they cannot be told apart inside text).
// `pages`: pdftotext's text split at form feeds.
std::vector<std::string> FurnitureLines(const std::vector<std::string>& pages);

// Whether `text` contains one of `furniture` (numbers masked, whitespace
// collapsed on both sides).
bool ContainsFurniture(const std::string& text, const std::vector<std::string>& furniture);

// Digit runs -> '#', whitespace runs -> one space, trimmed.
std::string MaskNumbers(const std::string& text);

struct OutlineTitle {
  std::string title;
  int page = 0;  // 1-based; 0 unknown
};
struct FoundHeading {
  std::string text;
  int page = 0;
};

// A heading matches an outline entry within one page of it whose title it
// equals, with or without section numbers, or ends with ("Chapter 1
// Introduction" for "Introduction"), compared letters and digits only.
struct HeadingScore {
  int headings = 0;          // found
  int matched_headings = 0;  // found that match an entry
  int entries = 0;           // outline entries pointing at a page
  int matched_entries = 0;   // entries matched by a found heading
};
HeadingScore ScoreHeadings(const std::vector<FoundHeading>& found, const std::vector<OutlineTitle>& outline);

// pdftotext's pages without their running headers and footers: the first
// and last two lines of each page are dropped when they are one of
// `furniture` or a bare page number. The reference for body word recall
// (a layout pass that drops furniture should not be charged for it).
std::string BodyText(const std::vector<std::string>& pages, const std::vector<std::string>& furniture);

// Share of `reference` words (lowercased letter/digit runs, counted with
// multiplicity) that `text` also has.
double WordRecall(const std::string& reference, const std::string& text);

// Markdown pipe tables in `markdown` (a header row followed by a separator row).
int CountTables(const std::string& markdown);

}  // namespace docpipe::bench
