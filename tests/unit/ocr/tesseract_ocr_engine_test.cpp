#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <future>

#include "ocr/ocr_engine.h"
#include "ocr/tesseract_ocr_engine.h"
#include "ocr/ocr_pool.h"
#include "support/page_images.h"
#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::PdfFont;
using testing::PdfPageBuilder;

const char kTessdata[] = "/usr/share/tesseract-ocr/5/tessdata";

bool HasLanguage(const std::string& lang) {
  struct stat st;
  return ::stat((std::string(kTessdata) + "/" + lang + ".traineddata").c_str(), &st) == 0;
}

std::string Words(const OcrPage& page) {
  std::string out;
  for (const OcrBlock& b : page.blocks)
    for (const OcrLine& l : b.lines)
      for (const OcrWord& w : l.words) out += (out.empty() ? "" : " ") + w.text;
  return out;
}

class TesseractOcrEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(HasLanguage("eng") && HasLanguage("osd"))
        << "Tesseract's English and orientation data are needed: apt-get install tesseract-ocr-eng tesseract-ocr-osd";
    Result<OcrEnginePtr> engine = NewTesseractOcrEngine({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  // A page with a heading and two lines of body text, rendered at 300 dpi.
  OcrImage Page() {
    testing::PdfSpec spec;
    spec.pages.push_back(PdfPageBuilder()
                             .Line("Quarterly Report", 20, PdfFont::kSansBold)
                             .Gap(10)
                             .Line("The committee approved the budget on Monday.", 12)
                             .Line("Revenue grew by seven percent over the year.", 12)
                             .Build());
    const std::string pdf = dir_.Join("page.pdf");
    EXPECT_TRUE(testing::MakePdf(spec, pdf).ok());
    OcrImage image;
    Status st = testing::RenderPdfPage(pdf, 0, 300, &image);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return image;
  }

  testing::TempDir dir_;
  OcrEnginePtr engine_;
};

TEST_F(TesseractOcrEngineTest, ReadsRenderedTextWithGeometry) {
  Result<OcrPage> page = engine_->Recognize(Page());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(Words(*page),
            "Quarterly Report The committee approved the budget on Monday. Revenue grew by seven percent over the year.");
  EXPECT_EQ(page->rotation, 0);
  EXPECT_EQ(page->dpi, 300);
  EXPECT_EQ(page->width, 2550);
  EXPECT_GT(page->mean_confidence, 85);
  // The heading line is taller than the body lines, and lines run top-down.
  std::vector<const OcrLine*> lines;
  for (const OcrBlock& b : page->blocks)
    for (const OcrLine& l : b.lines) lines.push_back(&l);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_GT(lines[0]->size, 1.4f * lines[1]->size);
  EXPECT_LT(lines[0]->y1, lines[1]->y0);
  EXPECT_LT(lines[1]->y1, lines[2]->y0);
  // 72 pt from the left edge at 300 dpi is pixel 300.
  EXPECT_NEAR(lines[1]->x0, 300, 8);
}

TEST_F(TesseractOcrEngineTest, SidewaysPageIsTurnedAndRead) {
  Result<OcrPage> page = engine_->Recognize(testing::RotateClockwise(Page()));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->rotation, 270);  // turned a further 270 degrees clockwise: upright again
  EXPECT_EQ(page->width, 2550);
  EXPECT_EQ(page->script, "Latin");
  EXPECT_EQ(Words(*page),
            "Quarterly Report The committee approved the budget on Monday. Revenue grew by seven percent over the year.");
}

TEST_F(TesseractOcrEngineTest, BlankImageHasNoBlocks) {
  OcrImage blank;
  blank.width = 800;
  blank.height = 600;
  blank.pixels.assign(800 * 600, 255);
  Result<OcrPage> page = engine_->Recognize(blank);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->blocks.empty());
  EXPECT_EQ(page->mean_confidence, 0);
}

TEST_F(TesseractOcrEngineTest, MalformedImageIsInvalidInput) {
  OcrImage bad;
  bad.width = 10;
  bad.height = 10;
  bad.pixels.assign(50, 0);  // half the pixels missing
  Result<OcrPage> page = engine_->Recognize(bad);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), Status::Code::kInvalidInput);
}

TEST_F(TesseractOcrEngineTest, MissingLanguageNamesThePackage) {
  OcrOptions options;
  options.languages = "eng+xyz";
  Result<OcrEnginePtr> engine = NewTesseractOcrEngine(options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();  // made: it is only needed for images
  Result<OcrPage> page = (*engine)->Recognize(Page());
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(page.status().message(),
            "OCR language 'xyz': no /usr/share/tesseract-ocr/5/tessdata/xyz.traineddata (apt-get install "
            "tesseract-ocr-xyz)");
  EXPECT_EQ(TesseractLanguagePackage("chi_sim"), "tesseract-ocr-chi-sim");
  for (const char* bad : {"../etc", "", "eng+", "eng ara"}) {
    options.languages = bad;
    Result<OcrEnginePtr> e = NewTesseractOcrEngine(options);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), Status::Code::kInvalidInput) << bad;
  }
}

TEST_F(TesseractOcrEngineTest, PoolReadsPagesInParallelAndHonoursCancel) {
  OcrPool pool(*engine_, 2);
  EXPECT_EQ(pool.Threads(), 2);
  OcrImage image = Page();
  std::vector<std::future<Result<OcrPage>>> results;
  for (int i = 0; i < 3; ++i) results.push_back(pool.Submit(image));
  auto cancelled = std::make_shared<std::atomic<bool>>(true);
  std::future<Result<OcrPage>> skipped = pool.Submit(image, cancelled);
  for (auto& f : results) {
    Result<OcrPage> page = f.get();
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(Words(*page).substr(0, 16), "Quarterly Report");
  }
  Result<OcrPage> page = skipped.get();
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), Status::Code::kCancelled);
}

}  // namespace
}  // namespace docpipe
