#include "extract/line_order.h"

#include <gtest/gtest.h>

#include <string>

namespace docpipe {
namespace {

// Lays `visual` out left to right as a PDF draws it: each character 5 pt
// wide at 10 pt; a '|' in the input is not drawn but leaves a 3 pt gap (a
// word space without a space glyph, as right-to-left PDFs do).
std::vector<LineChar> Draw(const std::u32string& visual) {
  std::vector<LineChar> out;
  float x = 100;
  for (char32_t c : visual) {
    if (c == U'|') {
      x += 3;
      continue;
    }
    out.push_back({c, 0, x, x + 5, 10, nullptr});
    x += 5;
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
    line.push_back({c, 0, x, x + 5, 10, nullptr});
  }
  EXPECT_TRUE(VisualToLogical(line));
  EXPECT_EQ(Text(line), U"שלום עולם");
}

TEST(LineOrderTest, TexAccentOverTheNextLetterJoinsIt) {
  // TeX: the accent is drawn, then the letter under it ("ci´on").
  std::vector<LineChar> line = {{U'c', 0, 0, 5, 10, nullptr},
                                {U'i', 0, 5, 8, 10, nullptr},
                                {U'\u00B4', 0, 9.5f, 12.5f, 10, nullptr},
                                {U'o', 0, 8.5f, 13.5f, 10, nullptr},
                                {U'n', 0, 13.5f, 18.5f, 10, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"cio\u0301n");
}

TEST(LineOrderTest, AccentDrawnAfterItsLetterJoinsIt) {
  std::vector<LineChar> line = {{U'u', 0, 0, 5, 10, nullptr}, {U'\u00A8', 0, 1, 4, 10, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"u\u0308");
}

TEST(LineOrderTest, DotlessIUnderAnAccentBecomesI) {
  std::vector<LineChar> line = {{U'\u00B4', 0, 0.5f, 3.5f, 10, nullptr}, {U'\u0131', 0, 0, 4, 10, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"i\u0301");
}

TEST(LineOrderTest, AccentBesideALetterStaysSpacing) {
  // "don´t" with the accent used as an apostrophe: it sits between letters.
  std::vector<LineChar> line = {{U'n', 0, 0, 5, 10, nullptr}, {U'\u00B4', 0, 5, 8, 10, nullptr},
                                {U't', 0, 8, 11, 10, nullptr}};
  JoinSpacingAccents(line);
  EXPECT_EQ(Text(line), U"n\u00B4t");
  // A circumflex in code ("a^b") is not over a letter either.
  std::vector<LineChar> code = {{U'a', 0, 0, 6, 10, nullptr}, {U'^', 0, 6, 12, 10, nullptr},
                                {U'b', 0, 12, 18, 10, nullptr}};
  JoinSpacingAccents(code);
  EXPECT_EQ(Text(code), U"a^b");
}

}  // namespace
}  // namespace docpipe
