// Scripts and characters through the PDF extractor, on generated documents
// with known text: right-to-left paragraphs (laid out by MuPDF's HTML engine),
// TeX-style spacing accents drawn over their letters.
#include <gtest/gtest.h>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::PdfFont;
using testing::PdfPageSpec;
using testing::PdfSpec;

std::vector<ExtractedPage> ExtractPages(const std::string& path) {
  std::vector<ExtractedPage> pages;
  ExtractorPtr pdf = NewPdfExtractor();
  Result<ExtractSummary> r = pdf->Extract(path, "doc.pdf", {}, [&](ExtractedPage&& p) {
    pages.push_back(std::move(p));
    return Status::Ok();
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return pages;
}

// The Markdown of `page` written as a one-page PDF and extracted.
std::string OnePageMarkdown(const PdfPageSpec& page) {
  PdfSpec spec;
  spec.pages.push_back(page);
  testing::TempDir dir;
  const std::string path = dir.Join("page.pdf");
  const Status made = testing::MakePdf(spec, path);
  EXPECT_TRUE(made.ok()) << made.ToString();
  std::vector<ExtractedPage> pages = ExtractPages(path);
  EXPECT_EQ(pages.size(), 1u);
  return pages.empty() ? "" : pages[0].markdown;
}

TEST(PdfScriptsTest, HebrewAndArabicParagraphsComeOutInLogicalOrder) {
  testing::TempDir dir;
  const std::string path = dir.Join("rtl.pdf");
  ASSERT_TRUE(testing::MakePdfFromHtml(
                  {"<p dir=\"rtl\" lang=\"he\">\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D, "
                   "\xD7\x96\xD7\x94\xD7\x95 \xD7\x9E\xD7\xA1\xD7\x9E\xD7\x9A \xD7\x91\xD7\x93\xD7\x99\xD7\xA7\xD7\x94."
                   "</p><p dir=\"rtl\" lang=\"ar\">\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 "
                   "\xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85 \xD9\x87\xD8\xB0\xD8\xA7 "
                   "\xD9\x85\xD8\xB3\xD8\xAA\xD9\x86\xD8\xAF \xD8\xB9\xD9\x86 \xD8\xA7\xD9\x84\xD9\x83\xD8\xAA\xD8\xA8 "
                   "2024.</p>"},
                  path)
                  .ok());
  std::vector<ExtractedPage> pages = ExtractPages(path);
  ASSERT_EQ(pages.size(), 1u);
  // שלום עולם, זהו מסמך בדיקה. / مرحبا بالعالم هذا مستند عن الكتب 2024.
  // Arabic in base letters (not presentation forms), numbers left to right.
  EXPECT_EQ(pages[0].markdown,
            "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\xA2\xD7\x95\xD7\x9C\xD7\x9D, \xD7\x96\xD7\x94\xD7\x95 "
            "\xD7\x9E\xD7\xA1\xD7\x9E\xD7\x9A \xD7\x91\xD7\x93\xD7\x99\xD7\xA7\xD7\x94.\n\n"
            "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85 "
            "\xD9\x87\xD8\xB0\xD8\xA7 \xD9\x85\xD8\xB3\xD8\xAA\xD9\x86\xD8\xAF \xD8\xB9\xD9\x86 "
            "\xD8\xA7\xD9\x84\xD9\x83\xD8\xAA\xD8\xA8 2024.");
}

// Draws Arabic glyphs left to right on one baseline, as XeTeX draws a
// right-to-left line (visual order): each a contextual glyph that the PDF
// maps to its base letter.
class ArabicLinePen {
 public:
  ArabicLinePen(PdfPageSpec* page, double x, double y, double size) : page_(page), x_(x), y_(y), size_(size) {}
  //! Draws the glyph of presentation form `shape`, read as `letter`.
  ArabicLinePen& Letter(char32_t shape, char32_t letter) {
    page_->glyphs.push_back({x_, y_, size_, shape, letter});
    const double advance = testing::ArabicGlyphAdvance(shape);
    EXPECT_GT(advance, 0) << "MuPDF's built-in Arabic font has no glyph U+" << std::hex << static_cast<uint32_t>(shape);
    x_ += advance * size_;
    return *this;
  }
  //! Moves the pen `em` to the right without drawing.
  ArabicLinePen& Skip(double em) {
    x_ += em * size_;
    return *this;
  }
  //! A space glyph drawn at the pen, which stays (XeTeX's kashida draws two).
  ArabicLinePen& SpaceGlyph() {
    page_->glyphs.push_back({x_, y_, size_, U' ', U' '});
    return *this;
  }
  double x() const { return x_; }

 private:
  PdfPageSpec* page_;
  double x_, y_, size_;
};

// "قلم" (qaf lam meem) drawn: meem final, lam medial, qaf initial.
void DrawQalam(ArabicLinePen& pen) {
  pen.Letter(U'\uFEE2', U'\u0645').Letter(U'\uFEE0', U'\u0644').Letter(U'\uFED7', U'\u0642');
}

// "كتاب" drawn: beh isolated, alef final, teh medial, kaf initial.
void DrawKitab(ArabicLinePen& pen) {
  pen.Letter(U'\uFE8F', U'\u0628').Letter(U'\uFE8E', U'\u0627').Letter(U'\uFE98', U'\u062A');
  pen.Letter(U'\uFEDB', U'\u0643');
}

// XeTeX's kashida=leaders+hrule stretches a word with a rule on the baseline
// between two joined letters; where the font maps its glyphs to base letters
// (or to the wrong form: XB Kayhan's "ﮪ" in xepersian-XB.pdf), only the rule
// tells the gap from a word space. Lines: the rule stroked, with XeTeX's two
// space glyphs in the gap; a short thin filled rectangle at 10 pt; then
// bars that are no kashida: an underline under both words, a rule struck
// through both. Each line reads "كتاب قلم".
TEST(PdfScriptsTest, KashidaRuleInsideAWordIsNoWordSpace) {
  PdfPageSpec page;
  {
    ArabicLinePen pen(&page, 100, 700, 20);
    DrawQalam(pen);
    pen.Skip(0.4);  // the word space: no glyph, no rule
    pen.Letter(U'\uFE8F', U'\u0628').Letter(U'\uFE8E', U'\u0627').Letter(U'\uFE98', U'\u062A');
    const double gap = pen.x();
    pen.SpaceGlyph().Skip(0.6).SpaceGlyph().Letter(U'\uFEDB', U'\u0643');
    // Stroked along the baseline, 0.08 em thick, into both letters.
    page.shapes.push_back({gap - 0.5, 700 + 0.8, 0.6 * 20 + 1, 0, 0, false, 1.6});
  }
  {
    ArabicLinePen pen(&page, 100, 660, 10);
    DrawQalam(pen);
    pen.Skip(0.4);
    pen.Letter(U'\uFE8F', U'\u0628').Letter(U'\uFE8E', U'\u0627');
    const double gap = pen.x();
    pen.Skip(0.3).Letter(U'\uFE98', U'\u062A').Letter(U'\uFEDB', U'\u0643');
    page.shapes.push_back({gap - 0.2, 660 + 0.1, 0.3 * 10 + 0.4, 0.7, 0, true, 0});  // 3.4 x 0.7 pt
  }
  // An underline 3 pt below the baseline, then a rule struck 5 pt above it.
  for (const auto& [baseline, bar] : {std::pair{620.0, -3.0}, std::pair{580.0, 5.0}}) {
    ArabicLinePen pen(&page, 100, baseline, 20);
    DrawQalam(pen);
    pen.Skip(0.4);
    DrawKitab(pen);
    page.shapes.push_back({100, baseline + bar, pen.x() - 100, 1, 0, true, 0});
  }
  const std::string line = "\xD9\x83\xD8\xAA\xD8\xA7\xD8\xA8 \xD9\x82\xD9\x84\xD9\x85";  // كتاب قلم
  EXPECT_EQ(OnePageMarkdown(page), line + "\n\n" + line + "\n\n" + line + "\n\n" + line);
}

// TeX sets "ó" as the spacing acute drawn over an "o" (the accent first);
// "´" beside a letter, as an apostrophe, stays.
TEST(PdfScriptsTest, TexSpacingAccentsJoinTheirLetters) {
  // Times-Roman widths (1/1000 em): f 333 o 500 r 333 m 778 a 444 c 444 i 278
  // n 500 B 667 u 500 s 389 acute 333 dieresis 333 d 500 t 278.
  const double size = 10;
  auto w = [&](double units) { return units * size / 1000; };
  PdfPageSpec page;
  const double x0 = 72, y = 700;
  const double formaci = w(333 + 500 + 333 + 778 + 444 + 444 + 278);
  page.runs.push_back({x0, y, size, PdfFont::kSerif, "formaci"});
  page.runs.push_back({x0 + formaci + w(500 - 333) / 2, y, size, PdfFont::kSerif, "\xC2\xB4"});  // over the o
  page.runs.push_back({x0 + formaci, y, size, PdfFont::kSerif, "on"});
  const double br = w(667 + 333);
  const double x1 = x0 + formaci + w(1000) + w(250);
  page.runs.push_back({x1, y, size, PdfFont::kSerif, "Br"});
  page.runs.push_back({x1 + br + w(500 - 333) / 2, y, size, PdfFont::kSerif, "\xC2\xA8"});  // over the u
  page.runs.push_back({x1 + br, y, size, PdfFont::kSerif, "uns don\xC2\xB4t"});
  EXPECT_EQ(OnePageMarkdown(page), "formaci\xC3\xB3n Br\xC3\xBCns don\xC2\xB4t");  // formación Brüns don´t
}

// A ToUnicode CMap may map glyphs into the private use area, where only the
// font knows what they are: their glyph names say it when the font has names
// (here "uni0664" ...); the Adobe Glyph List's meanings of such code points
// are for fonts without names (GlyphNamesTest, and simurgh-doc.pdf in
// RealLayoutTest).
TEST(PdfScriptsTest, PrivateUseGlyphsAreReadByTheirGlyphNames) {
  PdfPageSpec page;
  const double size = 20;
  double x = 100;
  auto glyph = [&](char32_t shape, char32_t text) {
    page.glyphs.push_back({x, 700, size, shape, text});
    x += testing::ArabicGlyphAdvance(shape) * size;
  };
  glyph(U'\u0664', 0xF734);  // mapped to fouroldstyle
  glyph(U'\u0662', 0xE002);  // mapped to a code of the font's own
  x += size;
  glyph(U'\u0661', 0xF8F1);  // mapped to braceleftmid
  EXPECT_EQ(OnePageMarkdown(page), "\xD9\xA4\xD9\xA2 \xD9\xA1");  // ٤٢ ١
}

}  // namespace
}  // namespace docpipe
