// Layout on real PDFs from Debian's documentation packages, checked against
// what the documents print: running headers gone from every chunk, printed
// page labels, booktabs tables, beamer slide titles and outline headings;
// and characters: vowelled Arabic, stacked math accents, Arabic fonts known
// only by their glyph names, Persian words stretched with kashida rules.
// A missing package fails the test with the command that installs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "ocr/ocr_pool.h"
#include "ocr/tesseract_ocr_engine.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

const char kOctave[] = "/usr/share/doc/octave/octave.pdf";
const char kBooktabs[] = "/usr/share/doc/texlive-doc/latex/booktabs/booktabs.pdf";
const char kBeamerTalk[] = "/usr/share/doc/texlive-doc/latex/beamer/beamerexample-conference-talk.pdf";
const char kBeamerLecture[] = "/usr/share/doc/texlive-doc/latex/beamer/beamerexample-lecture-beamer-version.pdf";
const char kGlpk[] = "/usr/share/doc/glpk-doc/glpk.pdf";
const char kGnuplot[] = "/usr/share/doc/gnuplot/gnuplot.pdf";
const char kQuran[] = "/usr/share/doc/texlive-doc/latex/quran/quran-test1.pdf";
const char kMathdots[] = "/usr/share/doc/texlive-doc/generic/mathdots/mdotest.pdf";
const char kArabiFontChart[] = "/usr/share/doc/texlive-doc/latex/arabi/fontchart_arabic.pdf";
const char kXepersianXB[] = "/usr/share/doc/texlive-doc/xelatex/xepersian-hm/xepersian-XB.pdf";
const char kXkeyval[] = "/usr/share/doc/texlive-doc/latex/xkeyval/xkeyval.pdf";
const char kXepersianCode[] = "/usr/share/doc/texlive-doc/xelatex/xepersian/xepersian.pdf";
const char kFilehook[] = "/usr/share/doc/texlive-doc/latex/filehook/filehook.pdf";
const char kLshortPersian[] = "/usr/share/doc/texlive-doc/latex/lshort-persian/lshort.pdf";
const char kSimurgh[] = "/usr/share/doc/texlive-doc/lualatex/simurgh/simurgh-doc.pdf";
const char kAmsfndoc[] = "/usr/share/doc/texlive-doc/fonts/amsfonts/amsfndoc.pdf";
const char kAutoaligneFr[] = "/usr/share/doc/texlive-doc/generic/autoaligne/autoaligne-fr.pdf";
const char kArabiUserGuide[] = "/usr/share/doc/texlive-doc/latex/arabi/user_guide.pdf";
const char kSamplePdfTex[] = "/usr/share/doc/texlive-doc/pdftex/samplepdftex/samplepdf.pdf";
const char kGates[] = "/usr/share/doc/texlive-doc/generic/gates/gates-doc.pdf";
const char kMetalogo[] = "/usr/share/doc/texlive-doc/latex/metalogo/metalogo.pdf";

struct Extracted {
  ExtractSummary summary;
  std::vector<ExtractedPage> pages;
};

// Extracts `path` (with OCR when `ocr` is given), or fails naming the
// Debian package that ships it.
bool Extract(const std::string& path, const std::string& package, Extracted* out, OcrPool* ocr = nullptr) {
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " missing: apt-get install -y " << package
                  << " (scripts/install-deps.sh test installs it)";
    return false;
  }
  ExtractorPtr pdf = NewPdfExtractor(ocr);
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
  ASSERT_GE(doc.pages.size(), 31u);
  EXPECT_EQ(doc.pages[2].markdown.substr(0, 50), "### What is haplotyping and why is it important?\n\n");
  EXPECT_EQ(doc.pages[3].markdown.substr(0, 43), "### General formalization of haplotyping.\n\n");
  // A frame with overlay steps repeats its title, bold at body size under the
  // small headline, at the same place on each step (pages 7-10, 27-31): it
  // is the slide's title on every step, not a running header.
  for (int n : {7, 8, 9, 10})
    EXPECT_EQ(doc.pages[n - 1].markdown.substr(0, 55), "### How blocks help in perfect phylogeny haplotyping.\n\n") << n;
  for (int n : {27, 28, 29, 30, 31})
    EXPECT_EQ(doc.pages[n - 1].markdown.substr(0, 30), "### The algorithm in action.\n\n") << n;
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

TEST(RealLayoutTest, VowelledArabicKeepsEachMarkOnItsLetter) {
  Extracted doc;
  if (!Extract(kQuran, "texlive-lang-arabic", &doc)) return;
  ASSERT_FALSE(doc.pages.empty());
  // Al-Baqarah 2:10 as the page prints it, in logical order, NFC: each
  // letter followed by its own vowel marks (XeTeX draws a letter's marks
  // before it in visual order).
  const std::string verse =
      "\u0641\u0650\u0649 \u0642\u064F\u0644\u064F\u0648\u0628\u0650\u0647\u0650\u0645 "
      "\u0645\u064E\u0651\u0631\u064E\u0636\u064C \u0641\u064E\u0632\u064E\u0627\u062F"
      "\u064E\u0647\u064F\u0645\u064F \u0671\u0644\u0644\u064E\u0651\u0647\u064F ";
  EXPECT_EQ(doc.pages[0].markdown.substr(0, verse.size()), verse);
}

// Occurrences of `needle` in `hay`.
int RealLayoutCount(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

TEST(RealLayoutTest, MathdotsAccentsJoinTheirLetters) {
  Extracted doc;
  if (!Extract(kMathdots, "texlive-plain-generic", &doc)) return;
  ASSERT_EQ(doc.pages.size(), 2u);
  // Page 2 sets \dot{X}, \ddot{X}, \dddot{X}, \ddddot{X} three times each
  // in each of nine sizes (and the last two once more in the section title
  // and the running header). Every X keeps its dots; no dot stands alone.
  const std::string& md = doc.pages[1].markdown;
  EXPECT_EQ(RealLayoutCount(md, "\u1E8A"), 27);   // Ẋ
  EXPECT_EQ(RealLayoutCount(md, "\u1E8C"), 27);   // Ẍ
  EXPECT_EQ(RealLayoutCount(md, "X\u20DB"), 29);  // X with three dots
  EXPECT_EQ(RealLayoutCount(md, "X\u20DC"), 29);  // X with four dots
  EXPECT_EQ(RealLayoutCount(md, "\u02D9"), 0);
  EXPECT_EQ(RealLayoutCount(md, "\u00A8"), 0);
}

TEST(RealLayoutTest, ArabicFontChartGlyphsComeFromTheirNames) {
  Extracted doc;
  if (!Extract(kArabiFontChart, "texlive-lang-arabic", &doc)) return;
  ASSERT_FALSE(doc.pages.empty());
  // ae_Dimnah has no ToUnicode; its glyph names (alefisolated ...
  // behinitial, arabicindicdigitzero ...) give the chart's rows, read
  // right to left.
  const std::string& md = doc.pages[0].markdown;
  EXPECT_NE(md.find("\u0628 \u0622 \u0622 \u0625 \u0625 \u0623 \u0623 \u0627"), std::string::npos) << md;
  EXPECT_NE(md.find("\u0667 \u0666 \u0665 \u0664 \u0663 \u0662 \u0661 \u0660"), std::string::npos) << md;
}

// Characters of the private use area in `md`.
int RealLayoutPrivateUse(const std::string& md) {
  int n = 0;
  for (size_t i = 0; i + 2 < md.size(); ++i) {
    const unsigned char a = static_cast<unsigned char>(md[i]), b = static_cast<unsigned char>(md[i + 1]);
    n += a == 0xEE || (a == 0xEF && b < 0xA4);  // U+E000-U+F8FF: EE xx xx, EF 80-A3 xx
  }
  return n;
}

TEST(RealLayoutTest, PrivateUseFiguresAndSmallCapitalsAreRead) {
  Extracted doc;
  if (!Extract(kSimurgh, "texlive-lang-arabic", &doc)) return;
  ASSERT_GE(doc.pages.size(), 6u);
  // LuaTeX mapped Iwona's old-style figures and small capitals to Adobe's
  // private-use code points (U+F730..., U+F761...); the CID font has no
  // glyph names. They were 506 characters nobody could search for, and the
  // section numbers kept the outline from anchoring any heading.
  int private_use = 0;
  for (const ExtractedPage& p : doc.pages) private_use += RealLayoutPrivateUse(p.markdown);
  EXPECT_EQ(private_use, 0);
  EXPECT_NE(doc.pages[0].markdown.find("The simurgh package"), std::string::npos) << doc.pages[0].markdown;
  EXPECT_NE(doc.pages[0].markdown.find("version 0.01b"), std::string::npos) << doc.pages[0].markdown;
  EXPECT_NE(doc.pages[5].markdown.find("\n## 4.1 Basic Usage\n"), std::string::npos) << doc.pages[5].markdown;
}

TEST(RealLayoutTest, PersianOutlineAnchorsHeadingsWhateverTheirDigitsAndLetterForms) {
  Extracted doc;
  if (!Extract(kLshortPersian, "texlive-lang-arabic", &doc)) return;
  ASSERT_GE(doc.pages.size(), 105u);
  // The outline types titles with ASCII-free Persian text and "هٔ" (heh,
  // hamza above); the pages set "۵ . ۲ . ۹" and "ۀ" (heh with yeh above).
  // 6 of its 122 entries anchored a heading before titles were folded by
  // Unicode (digits of any script, marks, letter variants); 115 now.
  EXPECT_GE(doc.summary.outline.size(), 110u);
  const std::string& md = doc.pages[104].markdown;
  EXPECT_NE(md.find("### \u06F5 . \u06F2 . \u06F9 \u062E\u0645\u200C\u0647\u0627\u06CC \u062F\u0631\u062C\u06C0 "
                    "\u062F\u0648\u0645 \u0628\u0632\u06CC\u0647\n"),
            std::string::npos)
      << md;
  // Its running headers print the page in Persian digits ("۲ چیزهایی که
  // باید بدانید" on physical page 16, whose /PageLabels label is "2"): they go.
  const ExtractedPage& p16 = doc.pages[15];
  EXPECT_EQ(p16.label, "2");
  EXPECT_EQ(p16.furniture,
            (std::vector<std::string>{"\u06F2 \u0686\u06CC\u0632\u0647\u0627\u06CC\u06CC \u06A9\u0647 "
                                      "\u0628\u0627\u06CC\u062F \u0628\u062F\u0627\u0646\u06CC\u062F"}));
  int headers_left = 0;
  for (const ExtractedPage& p : doc.pages) headers_left += p.markdown.rfind("\u06F2 . \u06F5", 0) == 0;
  EXPECT_EQ(headers_left, 0);
}

TEST(RealLayoutTest, PictureModeLinesAndCirclesAreNotText) {
  Extracted doc;
  if (!Extract(kLshortPersian, "texlive-lang-arabic", &doc)) return;
  ASSERT_GE(doc.pages.size(), 99u);
  // Pages 97-99 draw slanted lines and circles with LaTeX's picture-mode
  // fonts (LINE10, LINEW10, LCIRCLE10): before, their glyphs were paragraphs
  // of "!!!!", "####" (an empty heading) and "j". Every line left says
  // something: a letter or digit of any script, or a code fence.
  for (size_t p = 96; p < 99; ++p) {
    std::istringstream lines(doc.pages[p].markdown);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty() || line == "```") continue;
      const bool says_something = std::any_of(line.begin(), line.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80) != 0;
      });
      EXPECT_TRUE(says_something) << "page " << p + 1 << ": \"" << line << "\"";
    }
  }
  EXPECT_NE(doc.pages[96].markdown.find("\\put(x, y){\\line(x1, y1){length}}"), std::string::npos)
      << doc.pages[96].markdown;
}

TEST(RealLayoutTest, LigaturesNamedWithUnderscoresAreReadWhole) {
  Extracted doc;
  if (!Extract(kAutoaligneFr, "texlive-plain-generic", &doc)) return;
  ASSERT_GE(doc.pages.size(), 2u);
  // LinLibertine's ligatures are named "f_f", "f_i" and "f_f_i" in the
  // encoding, without a ToUnicode map; MuPDF reads a name up to its first
  // '_', so "effet" came out "efet" and "enfin" "enfn", on every page.
  const std::string& md = doc.pages[1].markdown;
  EXPECT_NE(md.find("En effet trop de ces questions"), std::string::npos) << md;
  EXPECT_NE(md.find("un calvaire et enfin, voulant"), std::string::npos) << md;
  for (const ExtractedPage& p : doc.pages) {
    for (const char* truncated : {"efet", "enfn", "afch", "défn"})
      EXPECT_EQ(p.markdown.find(truncated), std::string::npos) << "page " << p.number << ": " << truncated;
  }
}

TEST(RealLayoutTest, NarrowWordSpacesOfJustifiedPersianLinesAreKept) {
  Extracted doc;
  if (!Extract(kLshortPersian, "texlive-lang-arabic", &doc)) return;
  ASSERT_GE(doc.pages.size(), 38u);
  // ALotus's word spaces shrink to 0.11 em on justified lines, under the
  // 0.12 em that makes a word space, while the letters of a word touch:
  // these lines were one word each ("برایاینکهخوانندهرابههنگام...").
  EXPECT_NE(doc.pages[37].markdown.find("خواننده را به "
                                        "هنگام خواندن"),
            std::string::npos)
      << doc.pages[37].markdown;  // "خواننده را به هنگام خواندن"
  EXPECT_NE(doc.pages[15].markdown.find("نوشته تصمیم"),
            std::string::npos)
      << doc.pages[15].markdown;  // "نوشته تصمیم"
}

TEST(RealLayoutTest, TwoSidedHeadersOfATwoPageSectionGo) {
  Extracted doc;
  if (!Extract(kAmsfndoc, "texlive-base", &doc)) return;
  ASSERT_GE(doc.pages.size(), 13u);
  // Section 5 spans pages 12 and 13: its header is "12 5. How to use
  // AMSFonts ..." on the left page and "5. How to use AMSFonts ... 13" on the
  // right. Before, neither went, and page 12's became the section's heading
  // with the page number in it.
  const std::string title = "5. How to use AMSFonts with plain TEX or other macro packages";
  EXPECT_EQ(doc.pages[11].furniture, std::vector<std::string>{"12 " + title});
  EXPECT_EQ(doc.pages[11].label, "12");
  EXPECT_EQ(doc.pages[12].furniture, std::vector<std::string>{title + " 13"});
  EXPECT_EQ(doc.pages[12].label, "13");
  EXPECT_NE(doc.pages[11].markdown.find("\n# " + title + "\n"), std::string::npos) << doc.pages[11].markdown;
  EXPECT_EQ(doc.pages[11].markdown.find("12 5."), std::string::npos) << doc.pages[11].markdown;
}

TEST(RealLayoutTest, PiecesOfALargeBraceAreNotText) {
  Extracted doc;
  if (!Extract(kGlpk, "glpk-doc", &doc)) return;
  ASSERT_GE(doc.pages.size(), 66u);
  // Page 66 sets a case distinction with a brace built from the Symbol
  // font's pieces (U+F8F1-U+F8F4): before, four paragraphs of them.
  const std::string& md = doc.pages[65].markdown;
  EXPECT_EQ(RealLayoutPrivateUse(md), 0) << md;
  EXPECT_NE(md.find("0, if lk \xE2\x89\xA4 xk \xE2\x89\xA4 uk"), std::string::npos) << md;  // 0, if lk ≤ xk ≤ uk
}

// Words of Arabic script in `md` (separated by white space).
int RealLayoutArabicWords(const std::string& md) {
  int n = 0;
  bool in_word = false, arabic = false;
  for (size_t i = 0; i <= md.size(); ++i) {
    const unsigned char c = i < md.size() ? static_cast<unsigned char>(md[i]) : ' ';
    if (c == ' ' || c == '\n') {
      n += in_word && arabic;
      in_word = arabic = false;
      continue;
    }
    in_word = true;
    arabic = arabic || (c >= 0xD8 && c <= 0xDB);  // lead byte of U+0600-06FF
  }
  return n;
}

TEST(RealLayoutTest, KashidaRulesKeepPersianWordsWhole) {
  Extracted doc;
  if (!Extract(kXepersianXB, "texlive-lang-arabic", &doc)) return;
  ASSERT_EQ(doc.pages.size(), 10u);
  // Page 2 sets 17 words with kashida off; pages 3-10 set them again with
  // kashida=leaders+hrule, a rule (stroked, or a filled box in the heavier
  // styles) between joined letters. XB Kayhan maps the initial heh of
  // "چاههی" and "کلاههایی" to the isolated "ﮪ" (read "ھ"), so only the rule
  // tells that the gap after it is inside the word. (The final yeh of the
  // stretched words has no Unicode mapping: "کلاھهای" lacks it.)
  ASSERT_EQ(RealLayoutArabicWords(doc.pages[1].markdown), 17) << doc.pages[1].markdown;
  for (size_t p = 2; p < doc.pages.size(); ++p) {
    const std::string& md = doc.pages[p].markdown;
    SCOPED_TRACE("page " + std::to_string(p + 1));
    EXPECT_EQ(RealLayoutArabicWords(md), 17) << md;
    EXPECT_EQ(RealLayoutCount(md, "چاھه"), 1) << md;                     // چاھه
    EXPECT_EQ(RealLayoutCount(md, "کلاھهای"), 1) << md;  // کلاھهای
  }
}

// Lines of `markdown` outside and inside ``` fences that `pred` accepts.
template <typename Pred>
std::pair<int, int> RealLayoutLinesByFence(const std::string& markdown, Pred pred) {
  std::pair<int, int> n{0, 0};
  bool fence = false;
  size_t start = 0;
  while (start <= markdown.size()) {
    size_t end = markdown.find('\n', start);
    if (end == std::string::npos) end = markdown.size();
    const std::string line = markdown.substr(start, end - start);
    if (line.rfind("```", 0) == 0) {
      fence = !fence;
    } else if (pred(line)) {
      ++(fence ? n.second : n.first);
    }
    start = end + 1;
  }
  return n;
}

// "12 \def..." or "| 12 | \def... |": a numbered line of a TeX listing.
bool NumberedTexLine(const std::string& line) {
  size_t i = line.rfind("| ", 0) == 0 ? 2 : 0;
  const size_t digits = i;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == digits || i - digits > 4) return false;
  while (i < line.size() && (line[i] == ' ' || line[i] == '|')) ++i;
  return i < line.size() && (line[i] == '\\' || line[i] == '%');
}

TEST(RealLayoutTest, DocstripListingsInBitmapTypewriterFontsAreCode) {
  // xkeyval.pdf sets its implementation in TeX's bitmap fonts ("Unnamed-T3"),
  // line numbers in the prose font: each line was a paragraph of its own or
  // a table row (1,066 such lines, none fenced).
  Extracted doc;
  if (!Extract(kXkeyval, "texlive-latex-recommended-doc", &doc)) return;
  int outside = 0, inside = 0;
  for (const ExtractedPage& p : doc.pages) {
    const auto [out, in] = RealLayoutLinesByFence(p.markdown, NumberedTexLine);
    outside += out, inside += in;
    EXPECT_EQ(out, 0) << "page " << p.number << ":\n" << p.markdown;
  }
  EXPECT_EQ(outside, 0);
  EXPECT_GE(inside, 250);
}

TEST(RealLayoutTest, LineNumbersOfWrappedListingLinesStayOnTheirLines) {
  // filehook.pdf: tiny line numbers; a wrapped code line ends with a small
  // continuation arrow that deepens its box, so its number (145 of them) was
  // a paragraph of its own between two fences, as was the number of each
  // empty listing line (11).
  Extracted doc;
  if (!Extract(kFilehook, "texlive-latex-recommended-doc", &doc)) return;
  int numbered = 0;
  for (const ExtractedPage& p : doc.pages) {
    numbered += RealLayoutLinesByFence(p.markdown, NumberedTexLine).second;
    const auto [outside, inside] = RealLayoutLinesByFence(p.markdown, [](const std::string& line) {
      return !line.empty() && line.find_first_not_of("0123456789 ") == std::string::npos;
    });
    EXPECT_EQ(outside, 0) << "page " << p.number << ": a line number apart from its listing:\n" << p.markdown;
  }
  EXPECT_GE(numbered, 600);
}

TEST(RealLayoutTest, FootersNamingEachPagesFileGoAndTypewriterTitlesAreHeadings) {
  // xepersian.pdf: a footer "File <name> <page>" whose name changes with
  // the section, on pages of one section each too; sections titled with
  // their file's name in typewriter type, in the outline.
  Extracted doc;
  if (!Extract(kXepersianCode, "texlive-lang-arabic", &doc)) return;
  for (const ExtractedPage& p : doc.pages) {
    const auto [out, in] = RealLayoutLinesByFence(p.markdown, [&](const std::string& line) {
      const size_t file = line.find("File ");
      if (file == std::string::npos || line.find_first_not_of(' ') != file) return false;
      const size_t space = line.rfind(' ');
      return space > file + 5 && line.substr(space + 1) == p.label;
    });
    EXPECT_EQ(out + in, 0) << "page " << p.number << " (" << p.label << "):\n" << p.markdown;
  }
  int file_headings = 0;
  for (const HeadingEntry& h : doc.summary.outline) file_headings += h.text.find(" File ") != std::string::npos;
  EXPECT_GE(file_headings, 60);
}

TEST(RealLayoutTest, TurnedAndUpsideDownTextIsReadAlongItsBaseline) {
  Extracted guide;
  if (!Extract(kArabiUserGuide, "texlive-lang-arabic", &guide)) return;
  ASSERT_GE(guide.pages.size(), 101u);
  // Pages 92-101 hold calendars turned by 30° to 180°. Read as drawn, their
  // day names came out letters reversed ("دحلأا" for "الأحد") and their
  // numbers run together ("567891011").
  for (int page : {92, 101}) {
    const std::string& md = guide.pages[page - 1].markdown;
    EXPECT_NE(md.find("\n\n5 6 7 8 9 10 11\n\n"), std::string::npos) << "page " << page << ": " << md;
    EXPECT_NE(md.find("الإثنين"), std::string::npos) << "page " << page << ": " << md;  // Monday
    EXPECT_NE(md.find("الأحد"), std::string::npos) << "page " << page << ": " << md;    // Sunday
    EXPECT_EQ(md.find("دحلأا"), std::string::npos) << "page " << page << ": " << md;    // Sunday reversed
  }
  Extracted sample;
  if (!Extract(kSamplePdfTex, "texlive-base", &sample)) return;
  ASSERT_GE(sample.pages.size(), 1u);
  // Set upside down; pdftotext prints "?taht ekil uoy oD".
  EXPECT_NE(sample.pages[0].markdown.find("Do you like that?"), std::string::npos) << sample.pages[0].markdown;
}

// Fonts embedded without glyph names whose ToUnicode maps glyphs to the
// font's own private-use code points: Chaparral's "Th" ligature at U+E002
// (gates-doc: "\ue002is part of the documentation"), Sabon's old-style
// digits at U+F643-F64C (metalogo: "Saturday, \uf645\uf64c May ..."). OCR of
// lines that hold them, aligned word by word with the text, reads them.
TEST(RealLayoutTest, PrivateUseGlyphsWithoutNamesAreReadByOcr) {
  Result<OcrEnginePtr> engine = NewTesseractOcrEngine({});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  OcrPool pool(**engine, 2);
  auto private_use = [](const Extracted& doc) {
    int n = 0;
    for (const ExtractedPage& p : doc.pages) {
      for (size_t i = 0; i + 2 < p.markdown.size(); ++i) {
        const auto lead = static_cast<unsigned char>(p.markdown[i]);
        n += lead == 0xEE || (lead == 0xEF && static_cast<unsigned char>(p.markdown[i + 1]) < 0xA4);
      }
    }
    return n;
  };
  Extracted plain, read;
  if (!Extract(kGates, "texlive-plain-generic", &plain)) return;
  if (!Extract(kGates, "texlive-plain-generic", &read, &pool)) return;
  EXPECT_EQ(private_use(plain), 127);
  EXPECT_EQ(private_use(read), 0);
  EXPECT_NE(read.pages[0].markdown.find("\n\nThis part of the documentation is a general introduction"),
            std::string::npos)
      << read.pages[0].markdown;
  Extracted logo;
  if (!Extract(kMetalogo, "texlive-latex-recommended-doc", &logo, &pool)) return;
  EXPECT_NE(logo.pages[0].markdown.find(" May 2010\n\nv. 0.12\n\n# 1 Introduction"), std::string::npos)
      << logo.pages[0].markdown;
  EXPECT_LT(private_use(logo), 50);  // of 700: digits seen once stay as they are
}

}  // namespace
}  // namespace docpipe
