#include "extract/line_order.h"

#include <gtest/gtest.h>

#include <string>

namespace docpipe {
namespace {

// Lays `visual` out left to right as a PDF draws it: each character 5 pt
// wide at 10 pt, Arabic vowel marks (U+064B-0652) zero-width where the pen
// is; a '|' in the input is not drawn but leaves a 3 pt gap (a word space
// without a space glyph, as right-to-left PDFs do).
std::vector<LineChar> Draw(const std::u32string& visual) {
  std::vector<LineChar> out;
  float x = 100;
  for (char32_t c : visual) {
    if (c == U'|') {
      x += 3;
      continue;
    }
    const float width = c >= 0x064B && c <= 0x0652 ? 0 : 5;
    out.push_back({c, 0, x, x + width, 10, 0, nullptr});
    x += width;
  }
  return out;
}

std::u32string Text(const std::vector<LineChar>& chars) {
  std::u32string s;
  for (const LineChar& ch : chars) {
    s += ch.c;
    if (ch.mark) s += ch.mark;
  }
  return s;
}

// `chars` with their spacing accents joined.
std::u32string AccentsJoined(std::vector<LineChar> chars) {
  JoinSpacingAccents(chars);
  return Text(chars);
}

// `visual` drawn (Draw), read as a right-to-left line: its logical text.
std::u32string ReadRightToLeft(const std::u32string& visual) {
  std::vector<LineChar> line = Draw(visual);
  EXPECT_TRUE(VisualToLogical(line)) << "not read as right-to-left";
  return Text(line);
}

TEST(LineOrderTest, HebrewDrawnLeftToRightComesOutLogical) {
  // "שלום עולם" drawn right to left: the leftmost glyph is the last letter.
  std::vector<LineChar> line = Draw(U"םלוע|םולש");
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"שלום עולם");
}

TEST(LineOrderTest, ArabicWithLatinWordAndNumberKeepsTheirOrder) {
  // Logical: "صفحة 12 من PDF" in a right-to-left line.
  std::vector<LineChar> line = Draw(U"PDF|نم|12|ةحفص");
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"صفحة 12 من PDF");
}

TEST(LineOrderTest, BracketsOfARightToLeftRunAreTheLogicalOnes) {
  // "(7 نقاط)" as XeTeX draws it (sexam's exam_with_wexam_ar-DZ.pdf): the
  // glyph at the left edge looks like "(" but closes the bracket.
  EXPECT_EQ(ReadRightToLeft(U"(طاقن 7)"), U"(7 نقاط)");
}

TEST(LineOrderTest, GapBetweenLettersJoinedByTheirShapesIsNoWordSpace) {
  // XB Kayhan (xepersian-XB.pdf) maps glyphs to presentation forms and
  // leaves gaps inside words: "ﺗﺎﺑﯽ" with a gap between the initial beh and
  // the final yeh it joins is one word.
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD|\uFE91\uFE8E\uFE97"), U"\uFE97\uFE8E\uFE91\uFBFD");
  // A final alef then an initial beh do not join: the gap is a word space.
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD\uFE91|\uFE8E\uFE97"), U"\uFE97\uFE8E \uFE91\uFBFD");
  // A kashida (tatweel) between letters that join it stretches a word: the
  // spaces MuPDF put beside it go (xepersian-hm-glyph.pdf: "ﭼﺎﭘـﯽ").
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD \u0640 \uFB58\uFE8E\uFB7C"), U"\uFB7C\uFE8E\uFB58\u0640\uFBFD");
  // An unreadable glyph (U+FFFD) between joined letters splits the word
  // there instead of gluing the letters round the missing one.
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD\uFFFD\uFE91"), U"\uFE91 \uFFFD \uFBFD");
  // Beside base letters (Kurdish writes "٧ ـ ئەم") it stands alone.
  EXPECT_EQ(ReadRightToLeft(U"\u0645\u06D5\u0626 \u0640 \u0667"), U"\u0667 \u0640 \u0626\u06D5\u0645");
}

TEST(LineOrderTest, SpaceGlyphsBetweenJoinedLettersOfAKashidaWordGo) {
  // With kashida on, XeTeX draws two space glyphs between the joined
  // letters of a word (doc-ligature-xep.pdf: "الله" as lam initial, lam
  // medial, heh final; xepersian-XB.pdf: "ﺗﺎﺑﯽ").
  EXPECT_EQ(ReadRightToLeft(U"\uFEEA  \uFEE0  \uFEDF\u0627"), U"\u0627\uFEDF\uFEE0\uFEEA");
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD\uFE91\uFE8E  \uFE97"), U"\uFE97\uFE8E\uFE91\uFBFD");
  // Between letters that do not join, the run is still a word space.
  EXPECT_EQ(ReadRightToLeft(U"\uFBFD\uFE91  \uFE8E\uFE97"), U"\uFE97\uFE8E  \uFE91\uFBFD");
}

// A bar from the end of drawn character `left` to the start of `right`,
// reaching 0.5 pt into each, between heights y0 and y1 (y grows downwards;
// Draw's baseline is y = 0).
LineBar BarBetween(const std::vector<LineChar>& line, size_t left, size_t right, float y0, float y1) {
  return {line[left].x1 - 0.5f, y0, line[right].x0 + 0.5f, y1};
}

// `line` read as a right-to-left line with `bars` on the page.
std::u32string ReadWithBars(std::vector<LineChar> line, const std::vector<LineBar>& bars) {
  EXPECT_TRUE(VisualToLogical(line, bars)) << "not read as right-to-left";
  return Text(line);
}

TEST(LineOrderTest, KashidaBarBetweenLettersThatJoinIsNoWordSpace) {
  // XeTeX with kashida=leaders+hrule stretches "كتاب" by drawing its joining
  // stroke as a rule on the baseline between kaf and teh; the font maps the
  // glyphs to base letters, which say nothing of joining. Drawn: "باتك".
  const std::vector<LineChar> gap = Draw(U"\u0628\u0627\u062A|\u0643");
  EXPECT_EQ(ReadWithBars(gap, {}), U"\u0643 \u062A\u0627\u0628");  // a gap alone is a word space
  EXPECT_EQ(ReadWithBars(gap, {BarBetween(gap, 2, 3, -0.8f, -0.1f)}), U"\u0643\u062A\u0627\u0628");
  // XeTeX also draws two space glyphs in the gap: they go too.
  const std::vector<LineChar> spaces = Draw(U"\u0628\u0627\u062A  \u0643");
  EXPECT_EQ(ReadWithBars(spaces, {BarBetween(spaces, 2, 5, -0.8f, -0.1f)}), U"\u0643\u062A\u0627\u0628");
  // So in a line drawn in logical order (the pen moving leftwards).
  std::vector<LineChar> logical;
  float x = 200;
  for (char32_t c : std::u32string(U"\u0643|\u062A\u0627\u0628")) {
    x -= c == U'|' ? 3 : 5;
    if (c != U'|') logical.push_back({c, 0, x, x + 5, 10, 0, nullptr});
  }
  EXPECT_EQ(ReadWithBars(logical, {{logical[1].x1 - 0.5f, -0.8f, logical[0].x0 + 0.5f, -0.1f}}),
            U"\u0643\u062A\u0627\u0628");
}

TEST(LineOrderTest, BarsThatAreNoKashidaLeaveTheWordSpace) {
  const std::u32string split = U"\u0643 \u062A\u0627\u0628";
  const std::vector<LineChar> line = Draw(U"\u0628\u0627\u062A|\u0643");
  // An underline, below the baseline.
  EXPECT_EQ(ReadWithBars(line, {BarBetween(line, 2, 3, 1, 1.6f)}), split);
  // A rule running past the two letters: a phrase underlined or struck out.
  EXPECT_EQ(ReadWithBars(line, {{line[0].x0, -3, line[3].x1 + 10, -2.4f}}), split);
  // A bar thicker than a kashida (a box), or far above the baseline.
  EXPECT_EQ(ReadWithBars(line, {BarBetween(line, 2, 3, -6, 0)}), split);
  EXPECT_EQ(ReadWithBars(line, {BarBetween(line, 2, 3, -8, -7.4f)}), split);
  // A bar that leaves part of the gap open.
  EXPECT_EQ(ReadWithBars(line, {{line[2].x1 - 0.5f, -0.8f, line[2].x1 + 1, -0.1f}}), split);
  // Letters that cannot join: alef does not join the beh after it.
  const std::vector<LineChar> alef = Draw(U"\u0628|\u0627\u062A\u0643");
  EXPECT_EQ(ReadWithBars(alef, {BarBetween(alef, 0, 1, -0.8f, -0.1f)}), U"\u0643\u062A\u0627 \u0628");
}

// `words` drawn left to right as Draw does, `word_gap` pt between words and
// `letter_gap` pt between the letters of a word.
std::vector<LineChar> DrawSpaced(const std::vector<std::u32string>& words, float word_gap, float letter_gap) {
  std::vector<LineChar> out;
  float x = 100;
  for (const std::u32string& word : words) {
    for (char32_t c : word) {
      out.push_back({c, 0, x, x + 5, 10, 0, nullptr});
      x += 5 + letter_gap;
    }
    x += word_gap - letter_gap;
  }
  return out;
}

TEST(LineOrderTest, EvenNarrowWordSpacesOfAJustifiedLineAreWordSpaces) {
  // lshort-persian's ALotus: a justified line's word spaces all 0.11 em,
  // under the 0.12 em that makes a word space elsewhere, and the letters of
  // each word touching. Whole lines came out as one word.
  std::vector<LineChar> line = DrawSpaced({U"דחא", U"םלוע", U"םולש", U"תבש"}, 1.1f, 0);
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"שבת שלום עולם אחד");
}

TEST(LineOrderTest, NarrowGapsBesideWiderWordSpacesOrWithoutTouchingLettersStay) {
  // Gaps inside words (vowelled Arabic, a letter that does not join) beside
  // the line's real word spaces: only those split.
  std::vector<LineChar> vowelled = DrawSpaced({U"דחא", U"םלוע", U"םולש", U"תבש"}, 3, 1.0f);
  EXPECT_TRUE(VisualToLogical(vowelled));
  EXPECT_EQ(Text(vowelled), U"שבת שלום עולם אחד");
  // Evenly letter-spaced, no letters touching: one word, not letters.
  std::vector<LineChar> tracked = DrawSpaced({U"םולשםלוע"}, 0, 1.0f);
  EXPECT_TRUE(VisualToLogical(tracked));
  EXPECT_EQ(Text(tracked), U"עולםשלום");
  // Narrow gaps that differ: no line-wide spacing to go by.
  std::vector<LineChar> uneven = DrawSpaced({U"דחא", U"םלוע"}, 0.85f, 0);
  std::vector<LineChar> more = DrawSpaced({U"םולש", U"תבש"}, 0.85f, 0);
  const float shift = uneven.back().x1 + 1.15f - more.front().x0;  // the middle gap 1.15 pt
  for (LineChar& ch : more) ch.x0 += shift, ch.x1 += shift;
  uneven.insert(uneven.end(), more.begin(), more.end());
  EXPECT_TRUE(VisualToLogical(uneven));
  EXPECT_EQ(Text(uneven).find(U' '), std::u32string::npos) << "spaces in an uneven line";
}

TEST(LineOrderTest, ExistingSpacesAreNotDoubled) {
  std::vector<LineChar> line = Draw(U"םלוע םולש");
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"שלום עולם");
}

TEST(LineOrderTest, LeftToRightLineWithAHebrewWordStaysLeftToRight) {
  std::vector<LineChar> line = Draw(U"the word |םולש| means peace");
  EXPECT_FALSE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"the word שלום means peace");
}

TEST(LineOrderTest, LatinLineIsUntouched) {
  std::vector<LineChar> line = Draw(U"plain|text");
  EXPECT_FALSE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"plaintext");  // Latin word spaces are MuPDF's business
}

TEST(LineOrderTest, LineDrawnInLogicalOrderKeepsItsOrderAndGetsSpaces) {
  // "שלום עולם" drawn as most producers do: first letter first, the pen
  // moving leftwards, no space glyph between the words.
  std::vector<LineChar> line;
  float x = 200;
  for (char32_t c : std::u32string(U"שלום|עולם")) {
    if (c == U'|') {
      x -= 3;
      continue;
    }
    x -= 5;
    line.push_back({c, 0, x, x + 5, 10, 0, nullptr});
  }
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"שלום עולם");
}

TEST(LineOrderTest, TexAccentOverTheNextLetterJoinsIt) {
  // TeX: the accent is drawn, then the letter under it ("ci´on").
  std::vector<LineChar> line = {{U'c', 0, 0, 5, 10, 0, nullptr},
                                {U'i', 0, 5, 8, 10, 0, nullptr},
                                {U'\u00B4', 0, 9.5f, 12.5f, 10, 0, nullptr},
                                {U'o', 0, 8.5f, 13.5f, 10, 0, nullptr},
                                {U'n', 0, 13.5f, 18.5f, 10, 0, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"cio\u0301n");
}

TEST(LineOrderTest, AccentDrawnAfterItsLetterJoinsIt) {
  std::vector<LineChar> line = {{U'u', 0, 0, 5, 10, 0, nullptr}, {U'\u00A8', 0, 1, 4, 10, 0, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"u\u0308");
}

TEST(LineOrderTest, WordSpaceAfterALetterWithItsAccentDrawnAfterIsKept) {
  // ofs-slt.pdf: "získání přehledu" with no space character between the
  // words, the acute drawn after the dotless i. A kerned pair stays one word.
  std::vector<LineChar> line = {{U'n', 0, 0, 5, 10, 0, nullptr},         {U'\u0131', 0, 5, 7.8f, 10, 0, nullptr},
                                {U'\u00B4', 0, 4.5f, 7.5f, 10, 0, nullptr}, {U'p', 0, 11.4f, 16.4f, 10, 0, nullptr},
                                {U'r', 0, 16.4f, 20, 10, 0, nullptr},        {U'\u00A8', 0, 20.2f, 23.2f, 10, 0, nullptr},
                                {U'o', 0, 20.6f, 25.6f, 10, 0, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"ni\u0301 pro\u0308");
  std::vector<LineChar> kerned = {{U'a', 0, 0, 5, 10, 0, nullptr}, {U'\u00B4', 0, 1, 4, 10, 0, nullptr},
                                  {U'v', 0, 5.8f, 10.8f, 10, 0, nullptr}};
  JoinSpacingAccents(kerned);
  EXPECT_EQ(Text(kerned), U"a\u0301v");
}

TEST(LineOrderTest, DotlessIUnderAnAccentBecomesI) {
  std::vector<LineChar> line = {{U'\u00B4', 0, 0.5f, 3.5f, 10, 0, nullptr}, {U'\u0131', 0, 0, 4, 10, 0, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"i\u0301");
}

TEST(LineOrderTest, AccentBesideALetterStaysSpacing) {
  // "don´t" with the accent used as an apostrophe: it sits between letters.
  std::vector<LineChar> line = {{U'n', 0, 0, 5, 10, 0, nullptr}, {U'\u00B4', 0, 5, 8, 10, 0, nullptr},
                                {U't', 0, 8, 11, 10, 0, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"n\u00B4t");
  // A circumflex in code ("a^b") is not over a letter either.
  std::vector<LineChar> code = {{U'a', 0, 0, 6, 10, 0, nullptr}, {U'^', 0, 6, 12, 10, 0, nullptr},
                                {U'b', 0, 12, 18, 10, 0, nullptr}};
  JoinSpacingAccents(code);
  EXPECT_EQ(Text(code), U"a^b");
}

TEST(LineOrderTest, VowelMarksStayOnTheirLettersThroughReordering) {
  // "إِنَّمَا" as XeTeX draws it (quran-test1.pdf, page 1): left to right, each
  // letter's zero-width marks drawn just before it, at odd positions (the
  // shadda and fatha of the nun sit at the right edge of the mim).
  std::vector<LineChar> line = {{U'\u0627', 0, 110.85f, 112.97f, 12, 0, nullptr},
                                {U'\u064E', 0, 114.11f, 114.11f, 12, 0, nullptr},
                                {U'\u0645', 0, 112.97f, 117.46f, 12, 0, nullptr},
                                {U'\u064E', 0, 117.27f, 117.27f, 12, 0, nullptr},
                                {U'\u0651', 0, 117.27f, 117.27f, 12, 0, nullptr},
                                {U'\u0646', 0, 117.46f, 119.56f, 12, 0, nullptr},
                                {U'\u0650', 0, 119.23f, 119.23f, 12, 0, nullptr},
                                {U'\u0655', 0, 119.29f, 119.29f, 12, 0, nullptr},
                                {U'\u0627', 0, 119.56f, 121.30f, 12, 0, nullptr}};
  EXPECT_TRUE(VisualToLogical(line));
  // Alef + hamza below + kasra, nun + shadda + fatha, mim + fatha, alef.
  EXPECT_EQ(Text(line), U"\u0627\u0655\u0650\u0646\u0651\u064E\u0645\u064E\u0627");
}

TEST(LineOrderTest, MarksKeepTheirLettersAcrossAWordSpace) {
  // "بِهِم قُلُوب" (two words, visual order, 3 pt apart): the kasra of the
  // last letter drawn before a gap belongs to the letter after it, never to
  // the next word.
  EXPECT_EQ(ReadRightToLeft(U"\u0645\u0650\u0647\u0650\u0628|\u0628\u0648\u064F\u0644\u064F\u0642"),
            U"\u0642\u064F\u0644\u064F\u0648\u0628 \u0628\u0650\u0647\u0650\u0645");
}

TEST(LineOrderTest, RowsOfDotsOverALetterJoinAsOneMark) {
  // mathdots' \dddot{X} (mdotest.pdf): three dot accents side by side, then X.
  EXPECT_EQ(AccentsJoined({{U'\u02D9', 0, 78.9f, 80.9f, 10, 0, nullptr},
                           {U'\u02D9', 0, 80.4f, 82.4f, 10, 0, nullptr},
                           {U'\u02D9', 0, 81.9f, 83.9f, 10, 0, nullptr},
                           {U'X', 0, 77.9f, 83.5f, 10, 0, nullptr}}),
            U"X\u20DB");
  EXPECT_EQ(AccentsJoined({{U'\u02D9', 0, 1, 3, 10, 0, nullptr}, {U'\u02D9', 0, 3, 5, 10, 0, nullptr},
                           {U'x', 0, 0, 6, 10, 0, nullptr}}),
            U"x\u0308");
  // Dots beside the letter, not over it, stay as they are.
  EXPECT_EQ(AccentsJoined({{U'\u02D9', 0, 10, 12, 10, 0, nullptr}, {U'\u02D9', 0, 12, 14, 10, 0, nullptr},
                           {U'x', 0, 0, 6, 10, 0, nullptr}}),
            U"\u02D9\u02D9x");
}

TEST(LineOrderTest, AccentLeftAtTheEndOfTheLineBeforeMovesOntoItsLetter) {
  // mdotest.pdf: "X ¨" then, as MuPDF's next line, the X under the "¨".
  std::vector<LineChar> line = {{U'X', 0, 66.1f, 71.6f, 10, 0, nullptr},
                                {U' ', 0, 71.6f, 73.8f, 10, 0, nullptr},
                                {U'\u00A8', 0, 73.8f, 77.2f, 10, 0, nullptr}};
  std::vector<LineChar> next = {{U'X', 0, 72.0f, 77.6f, 10, 0, nullptr}};
  MoveAccentsOntoNextLine(line, next);
  EXPECT_EQ(Text(line), U"X");
  EXPECT_EQ(AccentsJoined(next), U"X\u0308");
  // An accent that ends a line but is over nothing of the next stays.
  std::vector<LineChar> apart = {{U'a', 0, 0, 5, 10, 0, nullptr}, {U'\u00B4', 0, 5, 8, 10, 0, nullptr}};
  std::vector<LineChar> far = {{U'b', 0, 40, 45, 10, 0, nullptr}};
  MoveAccentsOntoNextLine(apart, far);
  EXPECT_EQ(Text(apart), U"a\u00B4");
  EXPECT_EQ(Text(far), U"b");
}

}  // namespace
}  // namespace docpipe
