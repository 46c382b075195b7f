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

TEST(FoldForMatchTest, OtherScriptsFoldCaseAccentsDigitsAndLetterVariants) {
  EXPECT_EQ(FoldForMatch("\u00DCberblick \u2013 \u201CT\u00C9X\u201D"), "uberblicktex");  // Überblick – “TÉX”
  EXPECT_EQ(FoldForMatch("\uFB01nal"), "final");                                          // the ligature ﬁ
  // Persian digits and the ZWNJ in "خم‌ها" go; "درجۀ" (heh with yeh above)
  // as the text sets it and "درجهٔ" (heh, hamza above) as the outline types it.
  EXPECT_EQ(FoldForMatch("\u06F5.\u06F2 \u062E\u0645\u200C\u0647\u0627 \u062F\u0631\u062C\u06C0"),
            FoldForMatch("52 \u062E\u0645\u0647\u0627 \u062F\u0631\u062C\u0647\u0654"));
  EXPECT_EQ(FoldForMatch("\u06A9\u062A\u0627\u0628\u06CC"), FoldForMatch("\u0643\u062A\u0627\u0628\u064A"));  // کتابی
  EXPECT_EQ(FoldForMatch("\u0643\u0640\u062A\u064E\u0627\u0628"), FoldForMatch("\u0643\u062A\u0627\u0628"));  // tatweel, fatha
}

TEST(OutlineIndexTest, PersianTitlesMatchWhateverTheirDigitsAndLetterForms) {
  // lshort-persian.pdf, page 105: the outline types "خم‌های درجهٔ دوم بزیه",
  // the page sets "۵ . ۲ . ۹ خم‌های درجۀ دوم بزیه".
  OutlineIndex index({{1, "\u0645\u062D\u06CC\u0637", 104, 0},
                      {3, "\u062E\u0645\u200C\u0647\u0627\u06CC \u062F\u0631\u062C\u0647\u0654 \u062F\u0648\u0645", 105, 0}});
  EXPECT_EQ(index.Match(105, "\u06F5 . \u06F2 . \u06F9 \u062E\u0645\u200C\u0647\u0627\u06CC "
                             "\u062F\u0631\u062C\u06C0 \u062F\u0648\u0645"),
            3);
  EXPECT_EQ(index.Match(104, "\u06F5 \u0645\u062D\u06CC\u0637"), 1);
}

}  // namespace
}  // namespace docpipe
