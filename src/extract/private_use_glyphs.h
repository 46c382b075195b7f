#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

// Glyphs that a PDF maps to private-use code points no list gives a meaning
// (glyph_names.h recovers those it can): fonts embedded without glyph names
// and whose ToUnicode says only what the font's own cmap said. metalogo's
// Sabon sets its old-style digits at U+F643-F64C, Chaparral its "Th" at
// U+E002, Linux Libertine "Th", "ft" and "ch" at U+E049, U+E039, U+E03B.
// Nothing but the glyph's picture says what it is: OCR of a line that holds
// one, aligned word by word with the line's text, reads it.
namespace docpipe {

struct PageLayout;
struct TextLine;

// Whether `c` is a private-use code point (U+E000-U+F8FF, planes 15-16).
bool IsPrivateUseCodePoint(char32_t c);

// What the private-use characters of `pdf_text` (a line as the PDF maps it)
// stand for, read from `ocr_text` (the same line as OCR reads it): each word
// holding them is matched with an OCR word in the same place whose other
// characters are the same, and each run of private-use characters takes what
// stands there. A run of one character may stand for several letters (a
// ligature) or one digit; a longer run stands for as many characters, one
// each. What a run takes must be all letters or all digits. One reading per
// character matched, in the line's order; OCR misreads, so the caller
// weighs readings from several words (PrivateUseVotes).
std::vector<std::pair<char32_t, std::string>> ReadPrivateUseFromOcr(std::string_view pdf_text,
                                                                    std::string_view ocr_text);

// Readings of a document's private-use characters, and what they stand for
// once the readings agree: at least two readings, and twice as many as any
// other reading of the same character.
class PrivateUseVotes {
 public:
  void Add(char32_t c, const std::string& reading);
  //! The characters whose readings agree, with their meaning.
  const std::map<char32_t, std::string>& Meanings() const { return meanings_; }

 private:
  std::map<char32_t, std::map<std::string, int>> readings_;
  std::map<char32_t, std::string> meanings_;
};

// The private-use code points in `line`'s text, in order of appearance.
std::vector<char32_t> PrivateUseIn(const TextLine& line);

// Replaces the private-use characters of `page` that `meanings` knows;
// returns how many. Span character counts follow.
int ReplacePrivateUse(PageLayout& page, const std::map<char32_t, std::string>& meanings);

}  // namespace docpipe
