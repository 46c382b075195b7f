// Layout on real PDFs from Debian's documentation packages, checked against
// what the documents print: running headers gone from every chunk, printed
// page labels, booktabs tables, beamer slide titles and outline headings.
// A missing package fails the test with the command that installs it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

const char kOctave[] = "/usr/share/doc/octave/octave.pdf";
const char kBooktabs[] = "/usr/share/doc/texlive-doc/latex/booktabs/booktabs.pdf";
const char kBeamerTalk[] = "/usr/share/doc/texlive-doc/latex/beamer/beamerexample-conference-talk.pdf";
const char kBeamerLecture[] = "/usr/share/doc/texlive-doc/latex/beamer/beamerexample-lecture-beamer-version.pdf";
const char kGlpk[] = "/usr/share/doc/glpk-doc/glpk.pdf";
const char kGnuplot[] = "/usr/share/doc/gnuplot/gnuplot.pdf";

struct Extracted {
  ExtractSummary summary;
  std::vector<ExtractedPage> pages;
};

// Extracts `path`, or fails naming the Debian package that ships it.
bool Extract(const std::string& path, const std::string& package, Extracted* out) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " missing: apt-get install -y " << package
                  << " (scripts/install-deps.sh test installs it)";
    return false;
  }
  ExtractorPtr pdf = NewPdfExtractor();
  Result<ExtractSummary> r = pdf->Extract(path, path, {}, [&](ExtractedPage&& p) {
    out->pages.push_back(std::move(p));
    return Status::Ok();
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return false;
  out->summary = *r;
  return true;
}

TEST(RealLayoutTest, OctaveManualChunksCarryNoRunningHeader) {
  Extracted doc;
  if (!Extract(kOctave, "octave-doc", &doc)) return;
  Result<TokenizerPtr> tokenizer = NewBpeTokenizer("cl100k_base");
  ASSERT_TRUE(tokenizer.ok());
  Result<std::vector<Chunk>> chunks = ChunkDocument("octave", "1", doc.pages, **tokenizer, ChunkOptions{});
  ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
  ASSERT_GT(chunks->size(), 1000u);
  int with_header = 0;
  for (const Chunk& c : *chunks)
    with_header += c.text.find("GNU Octave (version 7.3.0)") != std::string::npos;
  // Printed on every page but the chapter openings (pdftotext: 900+ times);
  // the title page says "Edition 7 for Octave version 7.3.0" instead.
  EXPECT_EQ(with_header, 0);
  // Labels from the PDF's /PageLabels (checked with qpdf --json): two
  // title pages, roman front matter, then arabic numbering.
  EXPECT_EQ(doc.pages[2].label, "i");
  EXPECT_EQ(doc.pages[29].label, "14");
  // The manual's own page numbers never stand alone at a page's end.
  for (const ExtractedPage& p : doc.pages) {
    const std::string& md = p.markdown;
    const size_t nl = md.rfind('\n');
    const std::string last = nl == std::string::npos ? md : md.substr(nl + 1);
    EXPECT_NE(last, p.label) << "page " << p.number << " ends with its page number";
  }
}

TEST(RealLayoutTest, BooktabsManualTablesBecomeMarkdownTables) {
  Extracted doc;
  if (!Extract(kBooktabs, "texlive-latex-recommended-doc", &doc)) return;
  ASSERT_GE(doc.pages.size(), 3u);
  // The manual's "formal table" (top, mid and bottom rules, a cmidrule under "Item").
  EXPECT_NE(doc.pages[1].markdown.find(
                "| Animal | Item Description | Price ($) |\n| --- | --- | --- |\n"
                "| Gnat | per gram | 13.65 |\n|  | each | 0.01 |\n| Gnu | stuffed | 92.50 |\n"
                "| Emu | stuffed | 33.33 |\n| Armadillo | frozen | 8.99 |"),
            std::string::npos)
      << doc.pages[1].markdown;
  // No page ends with its bare page number.
  for (const ExtractedPage& p : doc.pages) {
    const size_t nl = p.markdown.rfind('\n');
    EXPECT_NE(p.markdown.substr(nl == std::string::npos ? 0 : nl + 1), std::to_string(p.number)) << p.number;
  }
}

TEST(RealLayoutTest, BeamerTalkSlideTitlesAreHeadingsWithoutNavigation) {
  Extracted doc;
  if (!Extract(kBeamerTalk, "texlive-latex-recommended-doc", &doc)) return;
  ASSERT_GE(doc.pages.size(), 6u);
  EXPECT_EQ(doc.pages[2].markdown.substr(0, 50), "### What is haplotyping and why is it important?\n\n");
  EXPECT_EQ(doc.pages[3].markdown.substr(0, 43), "### General formalization of haplotyping.\n\n");
  // The headline lists the sections on every slide; only the outline slide
  // (page 2) says "2 Bad News: Hardness Results" in its body.
  for (const ExtractedPage& p : doc.pages) {
    EXPECT_EQ(p.markdown.find("Tractability Results Summary"), std::string::npos) << p.number;
    if (p.number > 2) {
      EXPECT_EQ(p.markdown.find("Bad News: Hardness Results"), std::string::npos) << p.number;
    }
  }
}

TEST(RealLayoutTest, BeamerLectureSidebarNavigationIsRemoved) {
  Extracted doc;
  if (!Extract(kBeamerLecture, "texlive-latex-recommended-doc", &doc)) return;
  ASSERT_EQ(doc.pages.size(), 33u);
  // A sidebar down the right edge lists every section and subsection on
  // every slide (pdftotext: 33 pages). The slides that open a section
  // (1, 6, 31: the sidebar changes there) keep it, and page 3, the
  // outline slide, lists the sections in its body; no other page has it.
  std::vector<int> with_sidebar;
  for (const ExtractedPage& p : doc.pages)
    if (p.markdown.find("Semantik natürlicher Sprachen") != std::string::npos) with_sidebar.push_back(p.number);
  EXPECT_EQ(with_sidebar, (std::vector<int>{1, 3, 6, 31}));
  EXPECT_EQ(doc.pages[8].markdown.substr(0, 42), "### Beobachtungen zu einem Programmtext.\n\n");
  EXPECT_EQ(doc.pages[32].markdown.substr(0, 19), "# Zusammenfassung\n\n");
}

TEST(RealLayoutTest, GnuplotFunctionTableHasItsHeaderAndTitle) {
  Extracted doc;
  if (!Extract(kGnuplot, "gnuplot-doc", &doc)) return;
  ASSERT_GE(doc.pages.size(), 37u);
  // A ruled table whose first row is its title spanning all columns, and
  // whose "Returns" cells wrap onto a second line.
  EXPECT_NE(doc.pages[36].markdown.find(
                "Math library functions\n\n| Function | Arguments | Returns |\n| --- | --- | --- |\n"
                "| abs(x) | any | absolute value of x, \\|x\\|; same type |\n"
                "| abs(x) | complex | length of x, real(x)2 + imag(x)2 |\n"),
            std::string::npos)
      << doc.pages[36].markdown;
}

TEST(RealLayoutTest, GlpkHeadingsAreOutlineEntries) {
  Extracted doc;
  if (!Extract(kGlpk, "glpk-doc", &doc)) return;
  ASSERT_GE(doc.summary.outline.size(), 50u);
  EXPECT_EQ(doc.summary.outline[0].text, "Chapter 1 Introduction");  // "Chapter 1" set above the title
  EXPECT_EQ(doc.summary.outline[0].level, 1);
  for (const HeadingEntry& h : doc.summary.outline) {
    EXPECT_EQ(h.text.find("...."), std::string::npos) << h.text;  // no table-of-contents line
    EXPECT_LE(h.level, 4) << h.text;
  }
}

}  // namespace
}  // namespace docpipe
