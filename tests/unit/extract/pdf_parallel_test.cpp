// Pages read in parallel (ExtractOptions::threads) must give exactly what
// the serial path gives, on real documents: furniture removal, headings,
// tables, page labels and OCR'd pages all depend on other pages, and are
// done in page order after the pages are read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "ocr/ocr_pool.h"
#include "ocr/tesseract_ocr_engine.h"
#include "support/page_images.h"
#include "support/process.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

struct Extraction {
  Status status;
  ExtractSummary summary;
  std::vector<ExtractedPage> pages;
};

Extraction ExtractAll(Extractor& extractor, const std::string& path, int threads) {
  Extraction run;
  ExtractOptions options;
  options.threads = threads;
  Result<ExtractSummary> r = extractor.Extract(path, path, options, [&](ExtractedPage&& p) {
    run.pages.push_back(std::move(p));
    return Status::Ok();
  });
  run.status = r.ok() ? Status::Ok() : r.status();
  if (r.ok()) run.summary = *r;
  return run;
}

std::string ManualFile(const std::string& path, const std::string& package) {
  std::ifstream probe(path);
  if (!probe.good()) ADD_FAILURE() << path << " is missing: apt-get install -y " << package;
  return probe.good() ? path : "";
}

// Every field of every page, and the summary, byte for byte.
void ExpectSame(const Extraction& serial, const Extraction& parallel, int threads) {
  SCOPED_TRACE("threads = " + std::to_string(threads));
  ASSERT_TRUE(serial.status.ok()) << serial.status.ToString();
  ASSERT_TRUE(parallel.status.ok()) << parallel.status.ToString();
  ASSERT_EQ(serial.pages.size(), parallel.pages.size());
  for (size_t i = 0; i < serial.pages.size(); ++i) {
    const ExtractedPage& a = serial.pages[i];
    const ExtractedPage& b = parallel.pages[i];
    SCOPED_TRACE("page " + std::to_string(a.number));
    ASSERT_EQ(a.number, b.number);
    ASSERT_EQ(a.markdown, b.markdown);
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.furniture, b.furniture);
    EXPECT_EQ(a.chars, b.chars);
    EXPECT_EQ(a.has_text_layer, b.has_text_layer);
    EXPECT_EQ(a.truncated, b.truncated);
    EXPECT_EQ(a.unmapped_chars, b.unmapped_chars);
    EXPECT_EQ(a.ocr, b.ocr);
    EXPECT_EQ(a.ocr_reason, b.ocr_reason);
    EXPECT_EQ(a.ocr_confidence, b.ocr_confidence);
    EXPECT_EQ(a.ocr_script, b.ocr_script);
    EXPECT_EQ(a.ocr_rotation, b.ocr_rotation);
  }
  EXPECT_EQ(serial.summary.page_count, parallel.summary.page_count);
  EXPECT_EQ(serial.summary.title, parallel.summary.title);
  ASSERT_EQ(serial.summary.outline.size(), parallel.summary.outline.size());
  for (size_t i = 0; i < serial.summary.outline.size(); ++i) {
    EXPECT_EQ(serial.summary.outline[i].level, parallel.summary.outline[i].level);
    EXPECT_EQ(serial.summary.outline[i].text, parallel.summary.outline[i].text);
    EXPECT_EQ(serial.summary.outline[i].page, parallel.summary.outline[i].page);
  }
  EXPECT_EQ(serial.summary.warnings, parallel.summary.warnings);
}

int Furniture(const Extraction& run) {
  int n = 0;
  for (const ExtractedPage& p : run.pages) n += static_cast<int>(p.furniture.size());
  return n;
}

TEST(PdfParallelTest, GlpkManualIsTheSameForAnyThreadCount) {
  // Running headers and footers, numbered headings, tables, code.
  const std::string path = ManualFile("/usr/share/doc/glpk-doc/glpk.pdf", "glpk-doc");
  ASSERT_FALSE(path.empty());
  ExtractorPtr pdf = NewPdfExtractor();
  const Extraction serial = ExtractAll(*pdf, path, 1);
  ASSERT_TRUE(serial.status.ok()) << serial.status.ToString();
  ASSERT_EQ(serial.pages.size(), 177u);
  // Furniture is removed across pages: the page numbers of (nearly) every
  // page. "Synopsis" headings that open pages are body, not furniture.
  EXPECT_GE(Furniture(serial), 170);
  EXPECT_GT(serial.summary.outline.size(), 50u);  // and headings found
  for (int threads : {2, 5}) ExpectSame(serial, ExtractAll(*pdf, path, threads), threads);
}

TEST(PdfParallelTest, PageLabelsAndTasn1AreTheSame) {
  // R-intro has /PageLabels (roman front matter); libtasn1 has tables.
  for (const auto& [path, package] : {std::pair<std::string, std::string>{"/usr/share/R/doc/manual/R-intro.pdf", "r-doc-pdf"},
                                      {"/usr/share/doc/libtasn1-doc/libtasn1.pdf", "libtasn1-doc"}}) {
    SCOPED_TRACE(path);
    const std::string file = ManualFile(path, package);
    ASSERT_FALSE(file.empty());
    ExtractorPtr pdf = NewPdfExtractor();
    const Extraction serial = ExtractAll(*pdf, file, 1);
    ASSERT_TRUE(serial.status.ok()) << serial.status.ToString();
    ExpectSame(serial, ExtractAll(*pdf, file, 3), 3);
  }
  ExtractorPtr pdf = NewPdfExtractor();
  const Extraction intro = ExtractAll(*pdf, "/usr/share/R/doc/manual/R-intro.pdf", 4);
  ASSERT_TRUE(intro.status.ok()) << intro.status.ToString();
  ASSERT_GT(intro.pages.size(), 100u);
  EXPECT_EQ(intro.pages[0].label, "T-1");  // the PDF's own labels, in order
  EXPECT_EQ(intro.pages[2].label, "i");
}

TEST(PdfParallelTest, ScannedPagesAmongNativeOnesAreTheSameWithOcr) {
  struct stat st;
  ASSERT_EQ(::stat("/usr/share/tesseract-ocr/5/tessdata/eng.traineddata", &st), 0)
      << "apt-get install tesseract-ocr-eng tesseract-ocr-osd";
  ASSERT_TRUE(testing::OnPath("qpdf")) << "apt-get install qpdf";
  const std::string src = ManualFile("/usr/share/doc/libtasn1-doc/libtasn1.pdf", "libtasn1-doc");
  ASSERT_FALSE(src.empty());
  testing::TempDir dir;
  // Pages 1-8 of a real manual, with pages 3, 4 and 7 replaced by scans.
  const std::string native = dir.Join("native.pdf"), scans = dir.Join("scans.pdf"), mixed = dir.Join("mixed.pdf");
  ASSERT_EQ(testing::RunProcess({"qpdf", "--empty", "--pages", src, "1-8", "--", native}).exit_code, 0);
  ASSERT_TRUE(testing::MakeImageOnlyPdf(native, scans, 200).ok());
  testing::ProcessResult merged = testing::RunProcess(
      {"qpdf", "--empty", "--pages", native, "1-2", scans, "3-4", native, "5-6", scans, "7", native, "8", "--", mixed});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;

  Result<OcrEnginePtr> engine = NewTesseractOcrEngine({});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  OcrPool pool(**engine, 2);
  ExtractorPtr pdf = NewPdfExtractor(&pool);
  const Extraction serial = ExtractAll(*pdf, mixed, 1);
  ASSERT_TRUE(serial.status.ok()) << serial.status.ToString();
  ASSERT_EQ(serial.pages.size(), 8u);
  EXPECT_FALSE(serial.pages[1].ocr);
  EXPECT_TRUE(serial.pages[2].ocr);
  EXPECT_TRUE(serial.pages[3].ocr);
  EXPECT_TRUE(serial.pages[6].ocr);
  ExpectSame(serial, ExtractAll(*pdf, mixed, 3), 3);
}

TEST(PdfParallelTest, CancelStopsEveryReader) {
  const std::string path = ManualFile("/usr/share/doc/glpk-doc/glpk.pdf", "glpk-doc");
  ASSERT_FALSE(path.empty());
  ExtractorPtr pdf = NewPdfExtractor();
  std::atomic<bool> cancel{false};
  ExtractOptions options;
  options.threads = 3;
  options.cancel = &cancel;
  int pages = 0;
  Result<ExtractSummary> r = pdf->Extract(path, "glpk.pdf", options, [&](ExtractedPage&&) {
    if (++pages == 20) cancel.store(true);
    return Status::Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << r.status().ToString();
  EXPECT_LT(pages, 60);
}

TEST(PdfParallelTest, SinkErrorStopsTheReadersAndIsReturned) {
  const std::string path = ManualFile("/usr/share/doc/glpk-doc/glpk.pdf", "glpk-doc");
  ASSERT_FALSE(path.empty());
  ExtractorPtr pdf = NewPdfExtractor();
  ExtractOptions options;
  options.threads = 4;
  int pages = 0;
  Result<ExtractSummary> r = pdf->Extract(path, "glpk.pdf", options, [&](ExtractedPage&&) {
    return ++pages == 5 ? Status::Unavailable("disk full") : Status::Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "disk full");
  EXPECT_EQ(pages, 5);
}

}  // namespace
}  // namespace docpipe
