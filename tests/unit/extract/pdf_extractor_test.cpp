#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "support/fake_clock.h"
#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::PdfFont;
using testing::PdfPageBuilder;
using testing::PdfPageSpec;
using testing::PdfSpec;

const char kGlpk[] = "/usr/share/doc/glpk-doc/glpk.pdf";
const char kGmpl[] = "/usr/share/doc/glpk-doc/gmpl.pdf";
const char kTasn1[] = "/usr/share/doc/libtasn1-doc/libtasn1.pdf";

class PdfExtractorTest : public ::testing::Test {
 protected:
  struct Run {
    Status status;
    ExtractSummary summary;
    std::vector<ExtractedPage> pages;
  };

  Run Extract(const std::string& path, const std::string& name = "doc.pdf", ExtractOptions options = {}) {
    Run run;
    Result<ExtractSummary> r = extractor_->Extract(path, name, options, [&](ExtractedPage&& p) {
      run.pages.push_back(std::move(p));
      return Status::Ok();
    });
    run.status = r.ok() ? Status::Ok() : r.status();
    if (r.ok()) run.summary = *r;
    return run;
  }

  // The sample page: every construct the Markdown contract knows.
  static PdfPageSpec SamplePage() {
    PdfPageSpec page = PdfPageBuilder()
                           .Line("Getting Started", 20, PdfFont::kSansBold)
                           .Gap(6)
                           .Line("Installation", 15, PdfFont::kSansBold)
                           .Gap(4)
                           .Line("This is the first paragraph of body text and it continues on")
                           .Line("the next line where an exam-")
                           .Line("ple word was hyphenated.")
                           .Gap(8)
                           .Line("Options", 12.5, PdfFont::kSansBold)
                           .Gap(4)
                           .Line("\xE2\x80\xA2 first item")
                           .Line("\xE2\x80\xA2 second item")
                           .Gap(8)
                           .Row({{0, "Name"}, {120, "Size"}, {220, "Kind"}})
                           .Row({{0, "alpha"}, {120, "10"}, {220, "file"}})
                           .Row({{0, "beta"}, {120, "200"}, {220, "dir"}})
                           .Gap(8)
                           .Line("int main() {", 10, PdfFont::kMono)
                           .Line("return 0;", 10, PdfFont::kMono, 12)
                           .Line("}", 10, PdfFont::kMono)
                           .Gap(8)
                           .Line("Final words here.")
                           .Build();
    page.runs.push_back({300, 40, 10, PdfFont::kSerif, "1"});  // footer page number
    return page;
  }

  std::string MakeSample(const std::string& file) {
    PdfSpec spec;
    spec.title = "Sample Manual";
    spec.pages.push_back(SamplePage());
    spec.pages.push_back(PdfPageSpec{});  // no text: a scan, say
    spec.pages.push_back(PdfPageBuilder().Line("Second Part", 20, PdfFont::kSansBold).Line("More text.").Build());
    std::string path = dir_.Join(file);
    Status st = testing::MakePdf(spec, path);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return path;
  }

  static void ExpectInvalid(const Run& run, const std::string& name, const std::string& problem) {
    EXPECT_EQ(run.status.code(), Status::Code::kInvalidInput) << run.status.ToString();
    EXPECT_NE(run.status.message().find(name), std::string::npos) << run.status.message();
    EXPECT_NE(run.status.message().find(problem), std::string::npos) << run.status.message();
  }

  static std::string Head(const std::string& path, size_t n) { return testing::ReadFile(path).substr(0, n); }

  testing::TempDir dir_;
  ExtractorPtr extractor_ = NewPdfExtractor();
};

TEST_F(PdfExtractorTest, SamplePageBecomesExactMarkdown) {
  Run run = Extract(MakeSample("sample.pdf"));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 3u);
  EXPECT_EQ(run.pages[0].number, 1);
  EXPECT_EQ(run.pages[0].markdown,
            "# Getting Started\n\n"
            "## Installation\n\n"
            "This is the first paragraph of body text and it continues on the next line where an "
            "example word was hyphenated.\n\n"
            "### Options\n\n"
            "- first item\n- second item\n\n"
            "| Name | Size | Kind |\n| --- | --- | --- |\n| alpha | 10 | file |\n| beta | 200 | dir |\n\n"
            "```\nint main() {\n  return 0;\n}\n```\n\n"
            "Final words here.");
  EXPECT_TRUE(run.pages[0].has_text_layer);
  EXPECT_GT(run.pages[0].chars, 200);
  EXPECT_FALSE(run.pages[0].truncated);
}

TEST_F(PdfExtractorTest, EmptyPageHasNoTextLayer) {
  Run run = Extract(MakeSample("sample.pdf"));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.pages[1].number, 2);
  EXPECT_FALSE(run.pages[1].has_text_layer);
  EXPECT_EQ(run.pages[1].chars, 0);
  EXPECT_EQ(run.pages[1].markdown, "");
  EXPECT_EQ(run.pages[2].number, 3);
  EXPECT_EQ(run.pages[2].markdown, "# Second Part\n\nMore text.");
}

TEST_F(PdfExtractorTest, SummaryHasOutlineTitleAndPageCount) {
  Run run = Extract(MakeSample("sample.pdf"));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.summary.format, "pdf");
  EXPECT_EQ(run.summary.page_count, 3);
  EXPECT_EQ(run.summary.title, "Sample Manual");
  ASSERT_EQ(run.summary.outline.size(), 4u);
  EXPECT_EQ(run.summary.outline[0].text, "Getting Started");
  EXPECT_EQ(run.summary.outline[0].level, 1);
  EXPECT_EQ(run.summary.outline[1].text, "Installation");
  EXPECT_EQ(run.summary.outline[1].level, 2);
  EXPECT_EQ(run.summary.outline[2].text, "Options");
  EXPECT_EQ(run.summary.outline[2].level, 3);
  EXPECT_EQ(run.summary.outline[3].text, "Second Part");
  EXPECT_EQ(run.summary.outline[3].page, 3);
}

TEST_F(PdfExtractorTest, HtmlStoryPdfKeepsHeadingsAndParagraphs) {
  std::string path = dir_.Join("story.pdf");
  ASSERT_TRUE(testing::MakePdfFromHtml({"<h1>Alpha Guide</h1><p>First paragraph text.</p>"
                                        "<h2>Details</h2><p>Second paragraph text.</p>",
                                        "<p>Page two body.</p>"},
                                       path)
                  .ok());
  Run run = Extract(path);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].markdown,
            "# Alpha Guide\n\nFirst paragraph text.\n\n## Details\n\nSecond paragraph text.");
  EXPECT_EQ(run.pages[1].markdown, "Page two body.");
}

TEST_F(PdfExtractorTest, MaxPageCharsTruncatesAndFlags) {
  ExtractOptions options;
  options.max_page_chars = 20;
  Run run = Extract(MakeSample("sample.pdf"), "doc.pdf", options);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_TRUE(run.pages[0].truncated);
  EXPECT_LE(run.pages[0].chars, 20);
  EXPECT_GE(run.summary.warning_count, 1);
}

TEST_F(PdfExtractorTest, EnormousPageIsExtractedWithinLimits) {
  PdfPageSpec page;
  page.width = page.height = 200 * 72;  // 200 x 200 inches, the PDF maximum
  for (int i = 0; i < 3000; ++i)
    page.runs.push_back({72, 14000.0 - 4.5 * i, 4, PdfFont::kSerif, "row " + std::to_string(i) + " of text"});
  std::string path = dir_.Join("huge.pdf");
  ASSERT_TRUE(testing::MakePdf({"", {page}, {}, {}}, path).ok());
  ExtractOptions options;
  options.max_page_chars = 5000;
  Run run = Extract(path, "huge.pdf", options);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_TRUE(run.pages[0].truncated);
  EXPECT_LE(run.pages[0].chars, 5000);
  EXPECT_NE(run.pages[0].markdown.find("row 0 of text"), std::string::npos);
}

// MuPDF stops reading a page at its 100th syntax error; pdfmsym's manual
// has 144 unknown "literal" operators on a page, and lost its last tables.
TEST_F(PdfExtractorTest, TextAfterManyUnknownOperatorsIsRead) {
  PdfPageSpec page = PdfPageBuilder().Line("Text after the broken operators").Build();
  for (int i = 0; i < 150; ++i) page.raw_content += "1 0 0 1 0 0 cm literal\n";
  std::string path = dir_.Join("broken.pdf");
  ASSERT_TRUE(testing::MakePdf({"", {page}, {}, {}}, path).ok());
  Run run = Extract(path);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown, "Text after the broken operators");
  EXPECT_NE(std::find(run.summary.warnings.begin(), run.summary.warnings.end(),
                      "page 1: 150 unknown operators skipped in the page's content"),
            run.summary.warnings.end());
}

TEST_F(PdfExtractorTest, ManyPagesStreamInOrder) {
  PdfSpec spec;
  for (int i = 0; i < 300; ++i) spec.pages.push_back(PdfPageBuilder().Line("Page body " + std::to_string(i + 1)).Build());
  std::string path = dir_.Join("many.pdf");
  ASSERT_TRUE(testing::MakePdf(spec, path).ok());
  Run run = Extract(path);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(run.pages[i].number, i + 1);
    EXPECT_EQ(run.pages[i].markdown, "Page body " + std::to_string(i + 1));
  }
}

TEST_F(PdfExtractorTest, SinkErrorStopsExtraction) {
  int calls = 0;
  Result<ExtractSummary> r = extractor_->Extract(MakeSample("s.pdf"), "s.pdf", {}, [&](ExtractedPage&&) {
    ++calls;
    return Status::Unavailable("sink full");
  });
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(calls, 1);
}

TEST_F(PdfExtractorTest, DeadlineInThePastTimesOut) {
  ExtractOptions options;
  options.deadline_ms = 1;
  Run run = Extract(MakeSample("s.pdf"), "late.pdf", options);
  EXPECT_EQ(run.status.code(), Status::Code::kTimeout) << run.status.ToString();
  EXPECT_NE(run.status.message().find("late.pdf"), std::string::npos);
  EXPECT_TRUE(run.pages.empty());
}

// The deadline is read on the options' clock (the stage's): a fake clock moved
// past it mid-document stops the extraction, and one that never moves never
// times out, however long the pages take in real time.
TEST_F(PdfExtractorTest, DeadlineIsMeasuredOnTheGivenClock) {
  PdfSpec spec;
  for (int i = 0; i < 300; ++i) spec.pages.push_back(PdfPageBuilder().Line("Page body " + std::to_string(i + 1)).Build());
  std::string path = dir_.Join("many.pdf");
  ASSERT_TRUE(testing::MakePdf(spec, path).ok());
  testing::FakeClock clock;
  ExtractOptions options;
  options.clock = &clock;
  options.deadline_ms = clock.NowMs() + 1'000;
  int pages = 0;
  Result<ExtractSummary> late = extractor_->Extract(path, "late.pdf", options, [&](ExtractedPage&&) {
    if (++pages == 2) clock.Advance(1'000);  // the deadline passes while page 2 is written
    return Status::Ok();
  });
  EXPECT_EQ(late.status().code(), Status::Code::kTimeout) << late.status().ToString();
  EXPECT_GE(pages, 2);
  EXPECT_LT(pages, 300);
  options.deadline_ms = clock.NowMs() + 1;
  pages = 0;
  Result<ExtractSummary> on_time = extractor_->Extract(path, "on-time.pdf", options, [&](ExtractedPage&&) {
    ++pages;
    return Status::Ok();
  });
  ASSERT_TRUE(on_time.ok()) << on_time.status().ToString();
  EXPECT_EQ(pages, 300);
}

TEST_F(PdfExtractorTest, CancelStops) {
  std::atomic<bool> cancel{true};
  ExtractOptions options;
  options.cancel = &cancel;
  Run run = Extract(MakeSample("s.pdf"), "c.pdf", options);
  EXPECT_EQ(run.status.code(), Status::Code::kCancelled) << run.status.ToString();
}

// ---- Bad input ----

TEST_F(PdfExtractorTest, EmptyFile) {
  std::string path = dir_.Join("empty.pdf");
  testing::WriteFile(path, "");
  ExpectInvalid(Extract(path, "in/empty.pdf"), "in/empty.pdf", "empty file");
}

TEST_F(PdfExtractorTest, JunkNamedPdf) {
  std::string path = dir_.Join("junk.pdf");
  testing::WriteFile(path, std::string("\x01\x02junkjunk\xff\xfe", 12) + std::string(100, 'x'));
  ExpectInvalid(Extract(path, "junk.pdf"), "junk.pdf", "not a PDF: file starts with \"\\x01\\x02junkjunk");
}

TEST_F(PdfExtractorTest, HtmlNamedPdf) {
  std::string path = dir_.Join("page.pdf");
  testing::WriteFile(path, "<!DOCTYPE html><html><body>hello</body></html>");
  ExpectInvalid(Extract(path, "page.pdf"), "page.pdf", "not a PDF: file starts with \"<!DOCTYPE html><\"");
}

TEST_F(PdfExtractorTest, TruncatedPdf) {
  std::string full = MakeSample("full.pdf");
  std::string data = testing::ReadFile(full);
  std::string path = dir_.Join("cut.pdf");
  testing::WriteFile(path, data.substr(0, data.size() / 2));
  ExpectInvalid(Extract(path, "cut.pdf"), "cut.pdf", "truncated PDF");
}

TEST_F(PdfExtractorTest, TruncatedRealManual) {
  if (!std::filesystem::exists(kGmpl)) FAIL() << kGmpl << " not installed (Debian package glpk-doc): " << testing::kInstallTestPeers;
  std::string data = testing::ReadFile(kGmpl);
  std::string path = dir_.Join("gmpl-half.pdf");
  testing::WriteFile(path, data.substr(0, data.size() / 2));
  ExpectInvalid(Extract(path, "gmpl-half.pdf"), "gmpl-half.pdf", "truncated PDF");
}

TEST_F(PdfExtractorTest, HeaderOnlyPdfCannotBeOpened) {
  std::string path = dir_.Join("bare.pdf");
  testing::WriteFile(path, "%PDF-1.7\n%garbage only\n%%EOF\n");
  Run run = Extract(path, "bare.pdf");
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidInput) << run.status.ToString();
  EXPECT_NE(run.status.message().find("bare.pdf"), std::string::npos);
}

// MuPDF rebuilds a damaged cross-reference table by scanning the objects; the
// text must come out the same, with a warning recorded.
TEST_F(PdfExtractorTest, CorruptXrefIsRepaired) {
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder().Line("Repaired text survives.").Build());
  std::string good = dir_.Join("good.pdf");
  ASSERT_TRUE(testing::MakePdf(spec, good).ok());
  std::string data = testing::ReadFile(good);
  size_t xref = data.rfind("\nxref\n");
  ASSERT_NE(xref, std::string::npos);
  // Garble the subsection header and the first entries (object offsets).
  for (size_t i = xref + 6; i < xref + 90; ++i) data[i] = (data[i] == '\n') ? '\n' : 'Z';
  std::string path = dir_.Join("badxref.pdf");
  testing::WriteFile(path, data);
  Run run = Extract(path, "badxref.pdf");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown, "Repaired text survives.");
  EXPECT_GE(run.summary.warning_count, 1);
}

TEST_F(PdfExtractorTest, EncryptedNeedsPassword) {
  std::string plain = MakeSample("plain.pdf");
  std::string enc = dir_.Join("enc.pdf");
  std::string cmd = "qpdf --encrypt user owner 256 -- '" + plain + "' '" + enc + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) FAIL() << "qpdf failed or is not installed: " << testing::kInstallTestPeers;
  ExpectInvalid(Extract(enc, "secret.pdf"), "secret.pdf", "encrypted PDF requires a password");
}

TEST_F(PdfExtractorTest, OwnerPasswordOnlyIsReadable) {
  std::string plain = MakeSample("plain.pdf");
  std::string enc = dir_.Join("owner.pdf");
  std::string cmd = "qpdf --encrypt '' owner 256 -- '" + plain + "' '" + enc + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) FAIL() << "qpdf failed or is not installed: " << testing::kInstallTestPeers;
  Run run = Extract(enc, "owner.pdf");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.pages[2].markdown, "# Second Part\n\nMore text.");
}

TEST_F(PdfExtractorTest, MissingFileIsNotFound) {
  Run run = Extract(dir_.Join("absent.pdf"), "absent.pdf");
  EXPECT_EQ(run.status.code(), Status::Code::kNotFound);
  EXPECT_NE(run.status.message().find("absent.pdf: no such file"), std::string::npos);
}

TEST_F(PdfExtractorTest, DirectoryIsInvalid) {
  ExpectInvalid(Extract(dir_.path(), "dir.pdf"), "dir.pdf", "is a directory");
}

TEST_F(PdfExtractorTest, CanHandleBySuffixOrMagic) {
  EXPECT_TRUE(extractor_->CanHandle("a/b.PDF", ""));
  EXPECT_TRUE(extractor_->CanHandle("noext", "%PDF-1.4\n"));
  EXPECT_FALSE(extractor_->CanHandle("a.txt", "hello"));
}

// ---- Real manuals (installed by setup; page counts measured with pdfinfo) ----

struct RealDoc {
  const char* path;
  int pages;
  std::vector<std::string> headings;
};

TEST_F(PdfExtractorTest, RealManuals) {
  const std::vector<RealDoc> docs = {
      {kGlpk, 177, {"Introduction", "1.2 MIP problem", "1.3 Using the package"}},
      {kGmpl, 74, {"Introduction"}},
      {kTasn1, 36, {"Introduction"}},
  };
  for (const RealDoc& doc : docs) {
    SCOPED_TRACE(doc.path);
    if (!std::filesystem::exists(doc.path)) FAIL() << doc.path << " not installed: " << testing::kInstallTestPeers;
    Run run = Extract(doc.path, doc.path);
    ASSERT_TRUE(run.status.ok()) << run.status.ToString();
    EXPECT_EQ(run.summary.page_count, doc.pages);
    ASSERT_EQ(static_cast<int>(run.pages.size()), doc.pages);
    for (const std::string& want : doc.headings) {
      bool found = false;
      for (const HeadingEntry& h : run.summary.outline) found = found || h.text.find(want) != std::string::npos;
      EXPECT_TRUE(found) << "missing heading " << want;
    }
    for (const ExtractedPage& p : run.pages) {
      if (p.has_text_layer) {
        EXPECT_FALSE(p.markdown.empty()) << "page " << p.number;
      }
      EXPECT_GT(p.chars, 0) << "page " << p.number;
    }
  }
}

}  // namespace
}  // namespace docpipe

namespace docpipe {
namespace {

// API references set "Synopsis"/"Returns" in bold at body size under a larger
// section heading: they must nest below it, not become its siblings.
TEST(PdfHeadingLevelTest, BoldBodySizeLineNestsUnderSizedHeading) {
  testing::TempDir dir;
  PdfSpec spec;
  spec.pages.push_back(PdfPageBuilder()
                           .Line("2.4.2 glp_get_obj_name", 13, PdfFont::kSansBold)
                           .Gap(6)
                           .Line("Synopsis", 11, PdfFont::kSansBold)
                           .Gap(4)
                           .Line("Retrieves the objective function name of the problem object.")
                           .Line("It returns a pointer to a string that the caller must not free.")
                           .Build());
  std::string path = dir.Join("api.pdf");
  ASSERT_TRUE(testing::MakePdf(spec, path).ok());
  ExtractorPtr pdf = NewPdfExtractor();
  std::vector<ExtractedPage> pages;
  Result<ExtractSummary> s = pdf->Extract(path, "api.pdf", ExtractOptions{}, [&](ExtractedPage&& p) {
    pages.push_back(std::move(p));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].markdown.substr(0, 41), "### 2.4.2 glp_get_obj_name\n\n#### Synopsis") << pages[0].markdown;
  ASSERT_EQ(s->outline.size(), 2u);
  EXPECT_EQ(s->outline[1].level, s->outline[0].level + 1);
}

}  // namespace
}  // namespace docpipe
