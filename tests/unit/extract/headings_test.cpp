#include "extract/headings.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(HeadingNumberTest, DepthFromNumbering) {
  EXPECT_EQ(ParseHeadingNumber("2 Methods").depth, 1);
  EXPECT_EQ(ParseHeadingNumber("2.1 Data").depth, 2);
  EXPECT_EQ(ParseHeadingNumber("2.1.3 Cleaning the data").depth, 3);
  EXPECT_EQ(ParseHeadingNumber("1. INTRODUCTION").depth, 1);
  EXPECT_EQ(ParseHeadingNumber("A.2 Proofs").depth, 2);
  EXPECT_EQ(ParseHeadingNumber("IV. RESULTS").depth, 1);
  EXPECT_EQ(ParseHeadingNumber("Chapter 3 Tables").depth, 1);
  EXPECT_EQ(ParseHeadingNumber("Appendix B").depth, 1);
  EXPECT_EQ(ParseHeadingNumber("2.1 Data").number, "2.1");
  const std::string t = "2.1 Data";
  EXPECT_EQ(t.substr(ParseHeadingNumber(t).title_start), "Data");
  EXPECT_EQ(ParseHeadingNumber("Introduction").depth, 0);
  EXPECT_EQ(ParseHeadingNumber("2 + 3 = 5").depth, 0);
  EXPECT_EQ(ParseHeadingNumber("1990 was a year").depth, 0);
}

TEST(HeadingRejectTest, TocEntries) {
  EXPECT_TRUE(LooksLikeTocEntry("VII Additions and removals 304", false));
  EXPECT_TRUE(LooksLikeTocEntry("2.1 Scope . . . . . . . 7", false));
  EXPECT_TRUE(LooksLikeTocEntry("Introduction 5", true));
  EXPECT_FALSE(LooksLikeTocEntry("Introduction", false));
  EXPECT_FALSE(LooksLikeTocEntry("Chapter 3", false));
}

TEST(HeadingRejectTest, AuthorLists) {
  EXPECT_TRUE(LooksLikeAuthorList("Jane Doe, John Smith and Wei Zhang"));
  EXPECT_TRUE(LooksLikeAuthorList("Jane Doe1, John Smith2"));
  EXPECT_TRUE(LooksLikeAuthorList("jane@example.org"));
  EXPECT_FALSE(LooksLikeAuthorList("Tables, Figures and Listings"));
  EXPECT_FALSE(LooksLikeAuthorList("Installation"));
}

TEST(HeadingRejectTest, Garbage) {
  EXPECT_TRUE(LooksLikeGarbage("\xEF\xBF\xBD\xEF\xBF\xBD Intro"));
  EXPECT_TRUE(LooksLikeGarbage("#$%& ()*+ 123"));
  EXPECT_TRUE(LooksLikeGarbage("a b c d e f"));
  EXPECT_FALSE(LooksLikeGarbage("Installation guide"));
  EXPECT_FALSE(
      LooksLikeGarbage("\xE7\xAC\xAC\xE4\xB8\x89\xE7\xAB\xA0 \xE6\x96\x87\xE6\xA1\xA3"));  // 第三章 文档
}

TEST(HeadingRejectTest, Captions) {
  EXPECT_TRUE(LooksLikeCaption("Table 2: Results"));
  EXPECT_TRUE(LooksLikeCaption("Figure 1. Overview"));
  EXPECT_FALSE(LooksLikeCaption("Tables in LaTeX"));
}

TEST(OutlineIndexTest, MatchesTitlesWithOrWithoutNumbers) {
  OutlineIndex index(
      {{1, "Introduction", 3, 700}, {2, "MIP problem", 4, 500}, {2, "1.3 Using the package", 5, 300}});
  ASSERT_TRUE(index.Usable());
  EXPECT_EQ(index.MaxLevel(), 2);
  EXPECT_EQ(index.Match(3, "1 Introduction"), 1);
  EXPECT_EQ(index.Match(3, "1 Introduction"), 0);  // used up
  EXPECT_EQ(index.Match(4, "1.2 MIP problem"), 2);
  EXPECT_EQ(index.Match(5, "Using the package"), 2);
  EXPECT_EQ(index.Match(5, "Something else"), 0);
}

TEST(OutlineIndexTest, EntryOnPreviousPageMatches) {
  OutlineIndex index({{1, "Results", 6, 10}, {1, "End", 9, 10}});
  EXPECT_EQ(index.Match(7, "Results"), 1);
}

TEST(OutlineIndexTest, OneEntryIsNotUsable) {
  EXPECT_FALSE(OutlineIndex({{1, "Title", 1, 0}}).Usable());
  EXPECT_FALSE(OutlineIndex({{1, "A", 0, 0}, {1, "B", 0, 0}}).Usable());
}

TEST(FoldForMatchTest, Folds) { EXPECT_EQ(FoldForMatch("1.2  MIP-Problem!"), "12mipproblem"); }

}  // namespace
}  // namespace docpipe
