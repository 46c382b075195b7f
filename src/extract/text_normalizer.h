#pragma once

#include <string>
#include <string_view>

// Character-level clean-up of extracted text, shared by every extractor:
// what a user types into a search box must match what the document shows.
namespace docpipe {

// Returns `utf8` with
//  - typographic ligatures expanded (U+FB00-FB06: "ﬁ" -> "fi") and Arabic
//    presentation forms (U+FB50-FDFF, U+FE70-FEFF) mapped to their letters
//    (compatibility decomposition of those blocks only);
//  - a spacing accent directly followed by a letter it composes with joined
//    to it ("´o" -> "ó", TeX's \accent order); accents that compose with
//    nothing are left alone ("don´t" stays);
//  - kashidas (tatweel) that stretch a word between two joining letters
//    removed, as search engines drop them ("تلاشهــایی" -> "تلاشهایی"); one
//    that starts or ends a word, showing a letter's form ("ـه"), stays;
//  - U+FFFD (unknown character) and bidi controls (LRM, RLM, ALM, the
//    embeddings and isolates; the text is in logical order) removed;
//  - the result in Unicode Normalization Form C.
// Invalid UTF-8 sequences become nothing (ICU's conversion drops them as
// U+FFFD, which is then removed).
std::string NormalizeText(std::string_view utf8);

// The combining mark for a spacing accent (U+00B4 -> U+0301, ...), or 0.
char32_t CombiningForSpacingAccent(char32_t c);

// The value of a decimal digit of any script ('7', Persian '۷', Arabic-Indic
// '٧', Devanagari '७'), or -1: documents print numbers in their own digits.
int DecimalDigitValue(char32_t c);

// Number of U+FFFD characters in `utf8`.
int CountReplacementChars(std::string_view utf8);

// Whether a line ending in `before` continues with `after` without a space:
// Chinese and Japanese set no spaces between words, so a line break between
// two Han/Kana characters (or their punctuation) is no word boundary. Korean
// Hangul uses spaces and is not included.
bool JoinsWithoutSpace(std::string_view before, std::string_view after);

struct PageLayout;

// NormalizeText over every span of `page`, recounting span characters.
void NormalizeLayoutText(PageLayout& page);

}  // namespace docpipe
