#include "extract/private_use_glyphs.h"

#include <gtest/gtest.h>

#include "extract/page_layout.h"

namespace docpipe {
namespace {

using Meanings = std::map<char32_t, std::string>;
using Readings = std::vector<std::pair<char32_t, std::string>>;

// The readings of a line, as one meaning per character (all must agree).
Meanings Read(std::string_view pdf, std::string_view ocr) {
  Meanings out;
  for (const auto& [c, reading] : ReadPrivateUseFromOcr(pdf, ocr)) {
    auto [it, inserted] = out.emplace(c, reading);
    EXPECT_EQ(it->second, reading) << "U+" << std::hex << static_cast<unsigned>(c);
  }
  return out;
}

// metalogo's title page: Sabon's old-style digits at U+F643-F64C.
TEST(PrivateUseGlyphsTest, DigitsAreReadOneEachFromTheOcrsWordInTheSamePlace) {
  EXPECT_EQ(Read("Saturday, \uf645\uf64c May \uf645\uf643\uf644\uf643", "Saturday, 29 May 2010"),
            (Meanings{{0xF643, "0"}, {0xF644, "1"}, {0xF645, "2"}, {0xF64C, "9"}}));
  // OCR that lost or added a word still aligns nearby.
  EXPECT_EQ(Read("v. \uf643.\uf644\uf645 of the package", "v. 0.12 of package"),
            (Meanings{{0xF643, "0"}, {0xF644, "1"}, {0xF645, "2"}}));
}

// Linux Libertine's "Th" and "ft" ligatures (lshort), anchored by the letters beside them.
TEST(PrivateUseGlyphsTest, OneGlyphMayBeALigatureOfLetters) {
  EXPECT_EQ(Read("\ue049is document is free So\ue039ware", "This document is free Software"),
            (Meanings{{0xE039, "ft"}, {0xE049, "Th"}}));
}

TEST(PrivateUseGlyphsTest, WhatDoesNotAlignOrMixesLettersAndDigitsIsLeftOut) {
  // The letters around the glyph differ: no match.
  EXPECT_TRUE(Read("\ue049is", "That").empty());
  // Old-style zero and one read as letters in a number.
  EXPECT_TRUE(Read("\uf645\uf643\uf644\uf643", "2o1o").empty());
  // A run of two glyphs read as three characters cannot be split.
  EXPECT_TRUE(Read("\uf645\uf643", "201").empty());
  // One glyph read two ways on the line: both readings are given.
  EXPECT_EQ(ReadPrivateUseFromOcr("\ue002e \ue002is", "The Chis"),
            (Readings{{0xE002, "Th"}, {0xE002, "Ch"}}));
  // A ligature of more than three letters is no ligature.
  EXPECT_TRUE(Read("x\ue002", "xabcd").empty());
  EXPECT_TRUE(Read("", "").empty());
}

// pitex's first lines: OCR read the "Th" of "The" as "ee" once.
TEST(PrivateUseGlyphsTest, AMeaningNeedsTwoAgreeingReadingsAndTwiceAnyOther) {
  PrivateUseVotes votes;
  votes.Add(0xE002, "ee");
  EXPECT_TRUE(votes.Meanings().empty());
  votes.Add(0xE002, "Th");
  EXPECT_TRUE(votes.Meanings().empty());  // 1 against 1
  votes.Add(0xE002, "Th");
  EXPECT_EQ(votes.Meanings(), (Meanings{{0xE002, "Th"}}));  // 2 against 1
  votes.Add(0xF643, "0");
  votes.Add(0xF643, "0");
  EXPECT_EQ(votes.Meanings(), (Meanings{{0xE002, "Th"}, {0xF643, "0"}}));
  votes.Add(0xF643, "o");
  votes.Add(0xF643, "o");
  EXPECT_EQ(votes.Meanings(), (Meanings{{0xE002, "Th"}}));  // no longer twice the other
}

// Runs of glyphs between repeated letters could be matched in very many
// ways: such words are not tried (the matcher backtracks).
TEST(PrivateUseGlyphsTest, WordsWithManyGlyphRunsAreNotMatched) {
  std::string pdf, ocr;
  for (int i = 0; i < 12; ++i) pdf += "\ue001a";
  ocr.assign(36, 'a');
  EXPECT_TRUE(Read(pdf, ocr).empty());
}

TEST(PrivateUseGlyphsTest, ReplacesWhatIsKnownAndCountsCharacters) {
  PageLayout page;
  TextBlock block;
  TextLine line;
  TextSpan span;
  span.text = "\ue049is \ue0ffx";
  span.chars = 5;
  line.spans.push_back(span);
  block.lines.push_back(line);
  page.blocks.push_back(block);
  EXPECT_EQ(PrivateUseIn(page.blocks[0].lines[0]), (std::vector<char32_t>{0xE049, 0xE0FF}));
  EXPECT_EQ(ReplacePrivateUse(page, {{0xE049, "Th"}}), 1);
  EXPECT_EQ(page.blocks[0].lines[0].spans[0].text, "This \ue0ffx");
  EXPECT_EQ(page.blocks[0].lines[0].spans[0].chars, 7);
}

}  // namespace
}  // namespace docpipe
