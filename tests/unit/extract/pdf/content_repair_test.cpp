#include "extract/pdf/content_repair.h"

#include <gtest/gtest.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include <string>

#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

// One-page PDFs with a given content stream, opened with MuPDF.
class ContentRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = fz_new_context(nullptr, nullptr, FZ_STORE_DEFAULT);
    ASSERT_NE(ctx_, nullptr);
    fz_set_error_callback(
        ctx_, [](void*, const char*) {}, nullptr);  // failures show in the results
  }

  void TearDown() override {
    if (doc_ != nullptr) pdf_drop_document(ctx_, doc_);
    fz_drop_context(ctx_);
  }

  void Open(const std::string& content) {
    testing::PdfPageSpec page;
    page.raw_content = content;
    const std::string path = dir_.Join("page.pdf");
    ASSERT_TRUE(testing::MakePdf({"", {page}, {}, {}}, path).ok());
    fz_try(ctx_) doc_ = pdf_open_document(ctx_, path.c_str());
    fz_catch(ctx_) FAIL() << fz_caught_message(ctx_);
  }

  // The page's content stream, decoded.
  std::string Content() {
    std::string out;
    fz_stream* in = nullptr;
    fz_buffer* buf = nullptr;
    fz_var(in);
    fz_var(buf);
    fz_try(ctx_) {
      pdf_obj* page = pdf_lookup_page_obj(ctx_, doc_, 0);
      in = pdf_open_contents_stream(ctx_, doc_, pdf_dict_get(ctx_, page, PDF_NAME(Contents)));
      buf = fz_read_all(ctx_, in, 0);
      unsigned char* data = nullptr;
      const size_t len = fz_buffer_storage(ctx_, buf, &data);
      out.assign(reinterpret_cast<const char*>(data), len);
    }
    fz_always(ctx_) {
      fz_drop_buffer(ctx_, buf);
      fz_drop_stream(ctx_, in);
    }
    fz_catch(ctx_) ADD_FAILURE() << fz_caught_message(ctx_);
    return out;
  }

  testing::TempDir dir_;
  fz_context* ctx_ = nullptr;
  pdf_document* doc_ = nullptr;
};

TEST_F(ContentRepairTest, UnknownOperatorsGoWithTheirOperandsAndInlineImagesStayWhole) {
  Open(
      "q 1 0 0 1 5 5 cm literal 3 4 bogus Q\n"
      "BI /W 4 /H 1 /BPC 8 /CS /G ID junk EI\n"
      "[(a) 2 (b)] 7 /N <</K 1>> odd\n");
  EXPECT_EQ(RemoveUnknownOperators(ctx_, doc_, 0), 3);
  // The image's data ("junk") is no operator; the cuts are where the
  // removed operators began their operands.
  EXPECT_EQ(Content(),
            "q 1 0 0 1 5 5 cm\n\n Q\n"
            "BI /W 4 /H 1 /BPC 8 /CS /G ID junk EI\n\n");
}

TEST_F(ContentRepairTest, ContentWithoutUnknownOperatorsIsLeftAsItIs) {
  const std::string content =
      "q 1 0 0 1 5 5 cm 0.5 g 0 0 10 10 re f Q\nBT /F1 12 Tf 72 700 Td (text) Tj ET\n";
  Open(content);
  EXPECT_EQ(RemoveUnknownOperators(ctx_, doc_, 0), 0);
  EXPECT_EQ(Content(), content);
}

TEST_F(ContentRepairTest, InlineImageWithoutItsEndLeavesThePageAsItWas) {
  const std::string content = "literal BI /W 4 /H 1 /BPC 8 /CS /G ID junkjunk";
  Open(content);
  EXPECT_EQ(RemoveUnknownOperators(ctx_, doc_, 0), 0);
  EXPECT_EQ(Content(), content);
}

TEST_F(ContentRepairTest, MissingPageIsNoError) {
  Open("literal\n");
  EXPECT_EQ(RemoveUnknownOperators(ctx_, doc_, 5), 0);
}

}  // namespace
}  // namespace docpipe
