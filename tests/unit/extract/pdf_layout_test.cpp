// Layout on generated PDFs with known structure: running headers and footers,
// page labels, outline-anchored and numbered headings, ruled and booktabs
// tables, code in shaded boxes, slides. Expectations are exact.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::PdfFont;
using testing::PdfPageBuilder;
using testing::PdfPageSpec;
using testing::PdfSpec;

class PdfLayoutTest : public ::testing::Test {
 protected:
  struct Run {
    ExtractSummary summary;
    std::vector<ExtractedPage> pages;
  };

  Run Extract(const PdfSpec& spec) {
    const std::string path = dir_.Join("doc" + std::to_string(++count_) + ".pdf");
    Status made = testing::MakePdf(spec, path);
    EXPECT_TRUE(made.ok()) << made.ToString();
    Run run;
    Result<ExtractSummary> r = extractor_->Extract(path, "doc.pdf", {}, [&](ExtractedPage&& p) {
      run.pages.push_back(std::move(p));
      return Status::Ok();
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) run.summary = *r;
    return run;
  }

  // The Markdown of the one page `b` builds ("" and a failure when it
  // does not come out as one page).
  std::string OnePageMarkdown(PdfPageBuilder& b) {
    PdfSpec spec;
    spec.pages.push_back(b.Build());
    Run run = Extract(spec);
    EXPECT_EQ(run.pages.size(), 1u);
    return run.pages.size() == 1 ? run.pages[0].markdown : "";
  }

  testing::TempDir dir_;
  ExtractorPtr extractor_ = NewPdfExtractor();
  int count_ = 0;
};

// A manual page: odd/even running headers with the page number in them, a
// centred footer, and body text.
PdfPageSpec ManualPage(int n) {
  PdfPageBuilder b;
  b.Line("Paragraph one of page " + std::to_string(n) + " talks about the tool.").Gap(8);
  b.Line("Paragraph two of page " + std::to_string(n) + " ends here.");
  if (n % 2 == 0) {
    b.At(72, 750, std::to_string(n + 10) + "   GNU Octave (version 7.3.0)");
  } else {
    b.At(380, 750, "Chapter 2: Getting Started   " + std::to_string(n + 10));
  }
  b.At(250, 40, "Copyright 2024 The Octave Project");
  return b.Build();
}

TEST_F(PdfLayoutTest, RunningHeadersFootersAndPageNumbersAreRemoved) {
  PdfSpec spec;
  for (int n = 1; n <= 14; ++n) spec.pages.push_back(ManualPage(n));
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 14u);
  for (int n = 1; n <= 14; ++n) {
    const ExtractedPage& p = run.pages[n - 1];
    EXPECT_EQ(p.markdown, "Paragraph one of page " + std::to_string(n) +
                              " talks about the tool.\n\nParagraph two of page " + std::to_string(n) +
                              " ends here.")
        << "page " << n;
    EXPECT_EQ(p.label, std::to_string(n + 10)) << "page " << n;
  }
}

TEST_F(PdfLayoutTest, BarePageNumbersGoAndBecomeLabels) {
  PdfSpec spec;
  for (int n = 1; n <= 3; ++n) {
    spec.pages.push_back(PdfPageBuilder()
                             .Line("Body " + std::to_string(n))
                             .At(300, 40, "- " + std::to_string(n + 4) + " -")
                             .Build());
  }
  // "Body N" sits alone at the same place on every page, but nothing lies
  // between it and the footer: it is the page's content, not a header.
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 3u);
  EXPECT_EQ(run.pages[1].markdown, "Body 2");
  EXPECT_EQ(run.pages[1].label, "6");
}

TEST_F(PdfLayoutTest, PdfPageLabelsWin) {
  PdfSpec spec;
  for (int n = 1; n <= 5; ++n)
    spec.pages.push_back(
        PdfPageBuilder().Line("Body " + std::to_string(n)).At(300, 40, std::to_string(n)).Build());
  spec.page_labels = {{0, "r", "", 1}, {2, "D", "", 1}};
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 5u);
  EXPECT_EQ(run.pages[0].label, "i");
  EXPECT_EQ(run.pages[1].label, "ii");
  EXPECT_EQ(run.pages[2].label, "1");
  EXPECT_EQ(run.pages[4].label, "3");
}

TEST_F(PdfLayoutTest, NumberedHeadingsNestByTheirNumbers) {
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("1. INTRODUCTION", 11)
                           .Gap(6)
                           .Line("We study tables.")
                           .Gap(6)
                           .Line("2 Methods", 14, PdfFont::kSansBold)
                           .Line("Text under methods.")
                           .Gap(6)
                           .Line("2.1 Data", 12, PdfFont::kSansBold)
                           .Line("Text under data.")
                           .Gap(6)
                           .Line("Results", 14, PdfFont::kSansBold)
                           .Line("Text under results.")
                           .Build());
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown,
            "# 1. INTRODUCTION\n\nWe study tables.\n\n# 2 Methods\n\nText under methods.\n\n## 2.1 Data\n\n"
            "Text under data.\n\n# Results\n\nText under results.");
}

TEST_F(PdfLayoutTest, ListItemsAndTocLinesAreNotHeadings) {
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("Contents", 16, PdfFont::kSansBold)
                           .Row({{0, "1 Introduction"}, {400, "5"}}, 11, PdfFont::kSansBold)
                           .Row({{0, "VII Additions and removals"}, {400, "304"}}, 11, PdfFont::kSansBold)
                           .Gap(10)
                           .Line("1. first item")
                           .Line("2. second item")
                           .Build());
  Run run = Extract(spec);
  ASSERT_EQ(run.summary.outline.size(), 1u);
  EXPECT_EQ(run.summary.outline[0].text, "Contents");
  EXPECT_NE(run.pages[0].markdown.find("1. first item\n2. second item"), std::string::npos)
      << run.pages[0].markdown;
}

TEST_F(PdfLayoutTest, OutlineAnchorsHeadingTitlesAndLevels) {
  PdfSpec spec;
  // Font sizes say nothing here (all bold body size, plus a bold sentence
  // and an author line); the outline decides.
  spec.pages.push_back(PdfPageBuilder()
                           .Line("Jane Doe, John Smith", 11, PdfFont::kSansBold)
                           .Line("Overview", 11, PdfFont::kSansBold)
                           .Line("Body text one.")
                           .Line("Details", 11, PdfFont::kSansBold)
                           .Line("Body text two.")
                           .Line("Not In Outline", 11, PdfFont::kSansBold)
                           .Line("Body text three.")
                           .Build());
  spec.pages.push_back(
      PdfPageBuilder().Line("Appendix Material", 11, PdfFont::kSansBold).Line("More.").Build());
  spec.outline = {{1, "Overview", 1, 700}, {2, "Details", 1, 650}, {1, "Appendix Material", 2, 720}};
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].markdown,
            "Jane Doe, John Smith\n\n# Overview\n\nBody text one.\n\n## Details\n\nBody text two.\n\n"
            "Not In Outline\n\nBody text three.");
  EXPECT_EQ(run.pages[1].markdown, "# Appendix Material\n\nMore.");
}

TEST_F(PdfLayoutTest, OutlineTitleInTheFirstCellOfALineHeadsIt) {
  // R's reference manual: "abbreviate" (the outline's title), a wide gap,
  // then "Abbreviate Strings". The title is the heading; the rest stays as
  // text. On the second page a header-like line starts with "Usage" too, but
  // a block that says the whole title ("Usage") comes later: it wins.
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("The end of the previous entry.")
                           .Gap(12)
                           .Row({{0, "abbreviate"}, {150, "Abbreviate Strings"}})
                           .Gap(12)
                           .Line("Description")
                           .Gap(12)
                           .Line("Abbreviate strings to at least minlength characters.")
                           .Build());
  spec.pages.push_back(PdfPageBuilder()
                           .Row({{0, "Usage"}, {300, "CHAPTER 1. GETTING STARTED"}})
                           .Gap(12)
                           .Line("Usage", 11, PdfFont::kSansBold)
                           .Line("Call it.")
                           .Build());
  spec.outline = {{1, "abbreviate", 1, 700}, {1, "Usage", 2, 700}};
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].markdown,
            "The end of the previous entry.\n\n# abbreviate\n\nAbbreviate Strings\n\nDescription\n\n"
            "Abbreviate strings to at least minlength characters.");
  EXPECT_EQ(run.pages[1].markdown, "Usage CHAPTER 1. GETTING STARTED\n\n# Usage\n\nCall it.");
}

TEST_F(PdfLayoutTest, BooktabsTableWithCaption) {
  PdfPageBuilder b;
  b.Line("Text before the table.").Gap(10);
  b.Line("Table 1: Results by method", 10);
  b.Rule(300, 0.8);
  b.Row({{0, "Method"}, {110, "Time (s)"}, {200, "Error"}}, 10);
  b.Rule(300, 0.5);
  b.Row({{0, "Newton"}, {110, "0.12"}, {200, "1e-9"}}, 10);
  b.Row({{0, "Bisection"}, {110, "3.40"}, {200, "1e-6"}}, 10);
  b.Rule(300, 0.8);
  b.Gap(10).Line("Text after the table.");
  PdfSpec spec;
  spec.pages.push_back(b.Build());
  Run run = Extract(spec);
  EXPECT_EQ(run.pages[0].markdown,
            "Text before the table.\n\nTable 1: Results by method\n\n"
            "| Method | Time (s) | Error |\n| --- | --- | --- |\n| Newton | 0.12 | 1e-9 |\n| Bisection | "
            "3.40 | 1e-6 |\n\n"
            "Text after the table.");
}

TEST_F(PdfLayoutTest, GridTableWithCloseColumnsAndEmptyCell) {
  // Columns only 0.9 em apart: too close for the unruled rule, found from the rules.
  PdfPageBuilder b;
  b.Line("Intro.").Gap(6);
  std::vector<testing::PdfShape> shapes;
  const double top = b.y() - 4;
  b.Rule(200, 0.5);
  b.Row({{0, "Key"}, {60, "Value"}}, 10);
  b.Rule(200, 0.5);
  b.Row({{0, "alpha"}, {60, "1"}}, 10);
  b.Rule(200, 0.5);
  b.Row({{0, "beta"}}, 10);
  b.Rule(200, 0.5);
  PdfPageSpec page = b.Build();
  for (double x : {72.0, 127.0, 272.0})
    page.shapes.push_back({x, b.y() + 3, 0.5, top - b.y() - 3, 0, true, 0.5});
  PdfSpec spec;
  spec.pages.push_back(page);
  Run run = Extract(spec);
  EXPECT_EQ(run.pages[0].markdown, "Intro.\n\n| Key | Value |\n| --- | --- |\n| alpha | 1 |\n| beta |  |");
}

TEST_F(PdfLayoutTest, CodeInShadedBoxKeepsLinesAndIndentation) {
  PdfPageBuilder b;
  b.Line("Run the following:").Gap(4);
  b.BeginBox();
  b.Line("for i = 1:10", 10, PdfFont::kSerif);
  b.Line("disp (i);", 10, PdfFont::kSerif, 24);
  b.Line("endfor", 10, PdfFont::kSerif);
  b.EndBox(300);
  b.Line("The loop prints ten numbers.");
  PdfSpec spec;
  spec.pages.push_back(b.Build());
  Run run = Extract(spec);
  EXPECT_EQ(
      run.pages[0].markdown,
      "Run the following:\n\n```\nfor i = 1:10\n    disp (i);\nendfor\n```\n\nThe loop prints ten numbers.");
}

TEST_F(PdfLayoutTest, OneLineExampleDoesNotMergeWithNextSentence) {
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("To list files, type")
                           .Line("ls -l /tmp", 11, PdfFont::kMono)
                           .Line("and press enter.")
                           .Build());
  Run run = Extract(spec);
  EXPECT_EQ(run.pages[0].markdown, "To list files, type\n\n```\nls -l /tmp\n```\n\nand press enter.");
}

TEST_F(PdfLayoutTest, ProseThatLooksLikeAMarkdownBlockStaysProse) {
  // A paragraph or list item that starts with "#", ">" or "|" would read as a
  // heading, a quote or a table row in the Markdown: "####" alone was an empty
  // heading, and the chunker gave the chunks after it an empty breadcrumb.
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("# of pages printed so far.")
                           .Gap(10)
                           .Line("####")
                           .Gap(10)
                           .Line("> is the shell's prompt.")
                           .Gap(10)
                           .Line("- # marks a comment.")
                           .Build());
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown,
            "\\# of pages printed so far.\n\n\\####\n\n\\> is the shell's prompt.\n\n- \\# marks a comment.");
  EXPECT_TRUE(run.summary.outline.empty());
}

TEST_F(PdfLayoutTest, NumberedListingInAnUnnamedTypewriterFontIsCode) {
  // A docstrip listing: line numbers in the prose font, small, then the code
  // in a typewriter font whose name does not say so (TeX's bitmap fonts are
  // "Unnamed-T3"). Before, each line was a paragraph or a table row.
  PdfPageBuilder b;
  b.Line("The macro is defined as follows.", 10).Gap(4);
  const double top = b.y();
  const std::vector<std::pair<std::string, double>> code = {
      {"\\newrobustcmd{\\LWR@sanitize}[1]{%", 0}, {"\\begingroup%", 12}, {"\\edef\\LWR@result{#1}%", 12},
      {"\\endgroup%", 12}, {"}", 0}};
  for (size_t k = 0; k < code.size(); ++k) {
    const double y = top - 11.0 * static_cast<double>(k + 1);
    b.At(72, y, std::to_string(7218 + k), 7);
    b.At(100 + code[k].second, y, code[k].first, 9, PdfFont::kUnnamedMono);
  }
  b.Gap(11.0 * static_cast<double>(code.size()) + 6);
  b.Line("Then the result is used.", 10);
  EXPECT_EQ(OnePageMarkdown(b),
            "The macro is defined as follows.\n\n```\n"
            "7218   \\newrobustcmd{\\LWR@sanitize}[1]{%\n"
            "7219     \\begingroup%\n"
            "7220     \\edef\\LWR@result{#1}%\n"
            "7221     \\endgroup%\n"
            "7222   }\n```\n\nThen the result is used.");
}

TEST_F(PdfLayoutTest, LineNumberBesideACodeLineDeepenedByASymbolStaysOnIt) {
  // filehook.pdf: tiny line numbers, and a wrapped code line ends with a
  // continuation arrow set small and low, which deepens the line's box. The
  // number shares the code's baseline, not its box's bottom; before, it came
  // out as a paragraph of its own that split the listing in two fences.
  PdfPageBuilder b;
  b.Line("The hook is defined as follows.", 10).Gap(4);
  const double top = b.y();
  const std::vector<std::pair<std::string, double>> code = {
      {"\\newcommand*\\AtEndOfIncludes{%", 0}, {"\\filehook@prefix \\atend", 12}, {"}", 0}};
  for (size_t k = 0; k < code.size(); ++k) {
    const double y = top - 12.0 * static_cast<double>(k + 1);
    const double x = 90 + code[k].second;
    b.At(72, y, std::to_string(156 + k), 4.6, PdfFont::kSans);
    b.At(x, y, code[k].first, 10, PdfFont::kMono);
    if (k == 1) b.At(x + 6.0 * static_cast<double>(code[k].first.size()) + 2, y - 4, "(", 5.5, PdfFont::kSerif);
  }
  b.Gap(12.0 * static_cast<double>(code.size()) + 6);
  b.Line("Then the files are read.", 10);
  EXPECT_EQ(OnePageMarkdown(b),
            "The hook is defined as follows.\n\n```\n"
            "156 \\newcommand*\\AtEndOfIncludes{%\n"
            "157    \\filehook@prefix \\atend (\n"
            "158 }\n```\n\nThen the files are read.");
}

TEST_F(PdfLayoutTest, EmptyNumberedListingLinesStayInTheFence) {
  // A numbered listing's empty line is its number alone; it ended the fence
  // and stood as a paragraph. At the top of a page it comes before the code
  // that goes on with the next number. A bare number after prose is no code.
  PdfSpec spec;
  for (int page = 0; page < 2; ++page) {
    PdfPageBuilder b;
    b.Gap(200);  // mid-page: a bare number near the top or foot could be a page number
    b.Line(page == 0 ? "The package starts here." : "More follows.", 10).Gap(4);
    const double top = b.y();
    const std::vector<std::string> code = page == 0 ? std::vector<std::string>{"\\begingroup", "", "\\endgroup"}
                                                    : std::vector<std::string>{"", "\\relax"};
    for (size_t k = 0; k < code.size(); ++k) {
      const double y = top - 12.0 * static_cast<double>(k + 1);
      b.At(72, y, std::to_string((page == 0 ? 41 : 44) + static_cast<int>(k)), 4.6, PdfFont::kSans);
      if (!code[k].empty()) b.At(90, y, code[k], 10, PdfFont::kMono);
    }
    b.Gap(12.0 * static_cast<double>(code.size()) + 6);
    b.Line("Then it ends.", 10).Gap(4);
    b.Line("45", 10).Gap(4);
    b.At(90, b.y() - 12, "\\unnumbered", 10, PdfFont::kMono);  // code without line numbers
    b.Gap(16);
    b.Line("0", 10);
    spec.pages.push_back(b.Build());
  }
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].markdown,
            "The package starts here.\n\n```\n41  \\begingroup\n42\n43  \\endgroup\n```\n\nThen it ends.\n\n45\n\n"
            "```\n\\unnumbered\n```\n\n0");
  EXPECT_EQ(run.pages[1].markdown, "More follows.\n\n```\n44\n45  \\relax\n```\n\nThen it ends.\n\n45\n\n"
            "```\n\\unnumbered\n```\n\n0");
}

TEST_F(PdfLayoutTest, CodeIndentationIsBoundedOnAHostilePage) {
  // Tiny monospaced lines, each further right across a very wide page: at
  // 0.6 pt per character cell every line was thousands of spaces (a page of
  // 20,000 such lines made 166 MB of Markdown).
  PdfPageBuilder b(6000, 792);
  for (int k = 0; k < 40; ++k) b.At(72 + 140.0 * k, 700 - 12.0 * k, fmt::format("x{}", k), 1, PdfFont::kMono);
  PdfSpec spec;
  spec.pages.push_back(b.Build());
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  const std::string& md = run.pages[0].markdown;
  EXPECT_NE(md.find("```\nx0\n"), std::string::npos) << md;
  size_t start = 0, longest = 0;
  while (start < md.size()) {
    size_t end = md.find('\n', start);
    if (end == std::string::npos) end = md.size();
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  EXPECT_LE(longest, 80u + 3u) << md;
  EXPECT_NE(md.find(std::string(80, ' ') + "x39"), std::string::npos) << md;
}

TEST_F(PdfLayoutTest, TypewriterOutlineTitleIsAHeading) {
  // lwarp's sections are named after files, set in typewriter type; with
  // an outline they are headings, not code.
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("lwarp-tabfigures.sty", 12, PdfFont::kMono)
                           .Gap(4)
                           .Line("Patches for the tabfigures package.", 10)
                           .Gap(8)
                           .Line("lwarp-tabularx.sty", 12, PdfFont::kUnnamedMono)
                           .Gap(4)
                           .Line("Patches for the tabularx package.", 10)
                           .Build());
  spec.outline = {{1, "lwarp-tabfigures.sty", 1, 720}, {1, "lwarp-tabularx.sty", 1, 680}};
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown,
            "# lwarp-tabfigures.sty\n\nPatches for the tabfigures package.\n\n# lwarp-tabularx.sty\n\n"
            "Patches for the tabularx package.");
}

TEST_F(PdfLayoutTest, AuthorAboveAnAddressAndBulletsAreNoHeadings) {
  // Without an outline, size makes headings: a title page's author (set
  // larger than the body, above an e-mail address) and a large bulleted
  // item are none.
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("An Improved Environment for Floats", 17)
                           .Gap(8)
                           .Line("Anselm Lingnau", 12)
                           .Gap(2)
                           .Line("anselm@strathspey.org", 10)
                           .Gap(10)
                           .Line("This style option improves the interface for defining floating", 10)
                           .Line("objects such as figures and tables in LaTeX documents.", 10)
                           .Gap(10)
                           .Line("\xE2\x80\xA2 There is information overload here", 14)
                           .Gap(6)
                           .Line("The body goes on with more text at its own size and ends.", 10)
                           .Build());
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  ASSERT_EQ(run.summary.outline.size(), 1u);
  EXPECT_EQ(run.summary.outline[0].text, "An Improved Environment for Floats");
  EXPECT_EQ(run.pages[0].markdown.rfind("# An Improved Environment for Floats\n\nAnselm Lingnau\n\n", 0), 0u)
      << run.pages[0].markdown;
}

TEST_F(PdfLayoutTest, FootnoteMarkBeforeAWordStaysApartFromIt) {
  // LaTeX sets a footnote's mark raised and small right against its first
  // word, with no space: "1This", "*Work" were one word, and search missed
  // "This" and "Work". Digits at the text's own size ("2b2") stay as they are.
  PdfPageBuilder b;
  b.Line("Body text ends with a word.").Gap(200);
  b.At(72, 103, "1", 6);
  b.At(75.4, 100, "This is the footnote.", 9);
  b.At(72, 91, "*", 6);
  b.At(75.4, 88, "Work done elsewhere.", 9);
  b.At(72, 76, "2b2 and more", 9);
  EXPECT_EQ(OnePageMarkdown(b),
            "Body text ends with a word.\n\n1 This is the footnote. * Work done elsewhere. 2b2 and more");
}

TEST_F(PdfLayoutTest, WordSpaceShrunkBelowMuPdfsWhereTheFaceChangesIsKept) {
  // A justified line shrinks its word spaces: bidi.pdf's contents set
  // "File" and then a typewriter file name 0.145 em apart, under MuPDF's
  // 0.15 em, and "Filebeamer..." hid both words. Where the face changes
  // between two letters, 0.12 em is a word space; a typewriter parenthesis
  // that close stays on its word.
  const double size = 10;
  const double file = (611 + 278 + 278 + 556) / 1000.0 * size;  // "File" in Helvetica-Bold
  const double write = 5 * 0.6 * size;                          // "Write" in Courier
  const double gap = 0.12 * size;
  PdfPageBuilder b;
  b.At(72, 700, "File", size, PdfFont::kSansBold);
  b.At(72 + file + gap, 700, "bidi.sty", size, PdfFont::kMono);
  b.At(72, 680, "Write", size, PdfFont::kMono);
  b.At(72 + write + gap, 680, "(x)", size, PdfFont::kSans);
  EXPECT_EQ(OnePageMarkdown(b), "File bidi.sty\n\nWrite(x)");
}

TEST_F(PdfLayoutTest, WordSpaceShrunkBelowMuPdfsInOneFaceIsKeptButLetterSpacingIsNot) {
  // A justified line may shrink its word spaces under MuPDF's 0.15 em
  // (gates-doc: "thisdocumentationwaswrittenwithit"), and TeX's "LaTeX 2ε"
  // sets its 2 a 0.15 em kern away. 0.13 em after a word whose letters are
  // set tight is a word space; a letter-spaced word ("r o o t", each letter
  // 0.13 em from the last) stays one word.
  const double size = 10;
  const double gap = 0.13 * size;
  const double word = (722 + 556 + 333 + 556) / 1000.0 * size;  // "word" in Helvetica
  PdfPageBuilder b;
  b.At(72, 700, "word", size, PdfFont::kSans);
  b.At(72 + word + gap, 700, "next", size, PdfFont::kSans);
  double x = 72;
  for (const auto& [letter, width] : {std::pair<const char*, int>{"r", 333}, {"o", 556}, {"o", 556}, {"t", 278}}) {
    b.At(x, 680, letter, size, PdfFont::kSans);
    x += width / 1000.0 * size + gap;
  }
  EXPECT_EQ(OnePageMarkdown(b), "word next\n\nroot");
}

TEST_F(PdfLayoutTest, SlideTitlesAreHeadingsAndNavigationGoes) {
  PdfSpec spec;
  const char* titles[] = {"Motivation", "Method", "Results", "Conclusion"};
  for (int n = 0; n < 4; ++n) {
    PdfPageBuilder b(364, 273);
    b.At(10, 262, "Introduction   Method   Results", 6);  // navigation bar
    b.At(20, 225, titles[n], 16, PdfFont::kSansBold);
    b.At(20, 170, std::string("A point about ") + titles[n], 11, PdfFont::kSans);
    b.At(20, 150, "Bold emphasis line", 11, PdfFont::kSansBold);
    b.At(10, 6, "Jane Doe (Uni)   A Talk   " + std::to_string(n + 1) + " / 4", 6);
    spec.pages.push_back(b.Build());
  }
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 4u);
  for (int n = 0; n < 4; ++n) {
    EXPECT_EQ(run.pages[n].markdown,
              std::string("# ") + titles[n] + "\n\nA point about " + titles[n] + "\n\nBold emphasis line")
        << n;
  }
}

}  // namespace
}  // namespace docpipe

namespace docpipe {
namespace {

// Text set along a turned baseline is read along it: an upside-down line
// (pdfTeX's samplepdf, arabi's big2) had its character boxes reversed and
// came out "D o y o u li k e t h a t ?".
TEST_F(PdfLayoutTest, RotatedAndUpsideDownLinesAreReadAlongTheirBaselines) {
  PdfPageSpec page;
  page.runs.push_back({400, 600, 12, PdfFont::kSerif, "Do you like that?", 180});
  page.runs.push_back({500, 200, 12, PdfFont::kSerif, "Column head", 90});
  PdfSpec spec;
  spec.pages.push_back(page);
  Run run = Extract(spec);
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown, "Do you like that?\n\nColumn head");
}

}  // namespace
}  // namespace docpipe
