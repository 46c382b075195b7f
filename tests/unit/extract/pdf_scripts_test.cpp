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
  PdfSpec spec;
  spec.pages.push_back(page);
  testing::TempDir dir;
  const std::string path = dir.Join("accents.pdf");
  ASSERT_TRUE(testing::MakePdf(spec, path).ok());
  std::vector<ExtractedPage> pages = ExtractPages(path);
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].markdown, "formaci\xC3\xB3n Br\xC3\xBCns don\xC2\xB4t");  // formación Brüns don´t
}

}  // namespace
}  // namespace docpipe
