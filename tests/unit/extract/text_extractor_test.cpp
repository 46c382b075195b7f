#include <gtest/gtest.h>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

class TextExtractorTest : public ::testing::Test {
 protected:
  struct Run {
    Status status;
    ExtractSummary summary;
    std::vector<ExtractedPage> pages;
  };

  Run ExtractData(const std::string& file, const std::string& data, ExtractOptions options = {}) {
    std::string path = dir_.Join(file);
    testing::WriteFile(path, data);
    Run run;
    Result<ExtractSummary> r = extractor_->Extract(path, file, options, [&](ExtractedPage&& p) {
      run.pages.push_back(std::move(p));
      return Status::Ok();
    });
    run.status = r.ok() ? Status::Ok() : r.status();
    if (r.ok()) run.summary = *r;
    return run;
  }

  testing::TempDir dir_;
  ExtractorPtr extractor_ = NewTextExtractor();
};

TEST_F(TextExtractorTest, PlainTextParagraphsAndFormFeedPages) {
  Run run = ExtractData("notes.txt", "First line\nwrapped here.\n\n# not a heading\n\fPage two.\n");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.summary.format, "text");
  EXPECT_EQ(run.summary.page_count, 2);
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].markdown, "First line wrapped here.\n\n\\# not a heading");
  EXPECT_EQ(run.pages[1].number, 2);
  EXPECT_EQ(run.pages[1].markdown, "Page two.");
  EXPECT_EQ(run.pages[1].chars, 9);
}

TEST_F(TextExtractorTest, MarkdownKeptWithOutlineAndTitle) {
  const std::string md = "# Guide\n\nIntro text.\n\n## Setup\n\n```\n# comment, not heading\n```\n";
  Run run = ExtractData("guide.md", md);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.summary.format, "markdown");
  EXPECT_EQ(run.summary.title, "Guide");
  ASSERT_EQ(run.pages.size(), 1u);
  EXPECT_EQ(run.pages[0].markdown, md.substr(0, md.size() - 1));
  ASSERT_EQ(run.summary.outline.size(), 2u);
  EXPECT_EQ(run.summary.outline[1].text, "Setup");
  EXPECT_EQ(run.summary.outline[1].level, 2);
}

TEST_F(TextExtractorTest, LongTextSplitsAtParagraphs) {
  std::string text;
  // 11 lines per group of 10: the first blank line after line 500 is line 506.
  for (int i = 0; i < 1200; ++i) text += "line " + std::to_string(i) + (i % 10 == 9 ? "\n\n" : "\n");
  Run run = ExtractData("long.txt", text);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.pages.size(), 3u);
  EXPECT_EQ(run.pages[1].markdown.rfind("line 460", 0), 0u);
}

// Issue 17: text files were read whole (a 200 MB .txt took 5.0 GB RSS); they
// are now streamed in 1 MB blocks. Characters cut by a block edge must come
// through whole, and pages must be cut as before.
TEST_F(TextExtractorTest, StreamedFilesKeepCharactersCutByBlockEdges) {
  std::string data;
  int paragraphs = 0;
  while (data.size() < (3u << 20) + 12345) {
    data += "Caf\xC3\xA9 cr\xC3\xA8me \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 paragraph " + std::to_string(++paragraphs) +
            ".\n\n";
  }
  data += "\fLast page.";
  Run run = ExtractData("big.txt", data);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_TRUE(run.summary.warnings.empty()) << "read as UTF-8, not converted";
  size_t seen = 0;
  for (const ExtractedPage& p : run.pages) {
    EXPECT_EQ(p.markdown.find("\xEF\xBF\xBD"), std::string::npos) << "page " << p.number << " has U+FFFD";
    for (size_t at = p.markdown.find("paragraph "); at != std::string::npos; at = p.markdown.find("paragraph ", at + 1))
      ++seen;
  }
  EXPECT_EQ(seen, static_cast<size_t>(paragraphs));
  // 500 lines a page (250 paragraphs of two lines), then the form feed's page.
  EXPECT_EQ(run.summary.page_count, (paragraphs + 249) / 250 + 1);
  EXPECT_EQ(run.pages.back().markdown, "Last page.");
}

TEST_F(TextExtractorTest, AFileWithoutLineBreaksIsCutIntoBoundedPieces) {
  std::string data(9u << 20, 'z');
  ExtractOptions options;
  options.max_page_chars = 100u << 20;  // no truncation: the cut is the reader's
  Run run = ExtractData("one-line.txt", data, options);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  // Lines of 4 MB; a page ends at the first line end past 8 MB.
  ASSERT_EQ(run.pages.size(), 2u);
  EXPECT_EQ(run.pages[0].chars, (8 << 20) + 1);  // two lines joined by a space
  EXPECT_EQ(run.pages[1].chars, 1 << 20);
}

TEST_F(TextExtractorTest, Utf8BomIsStripped) {
  Run run = ExtractData("bom.txt", "\xEF\xBB\xBFhello");
  ASSERT_TRUE(run.status.ok());
  EXPECT_EQ(run.pages[0].markdown, "hello");
}

TEST_F(TextExtractorTest, Utf16LeWithBomIsConverted) {
  Run run = ExtractData("u16.txt", std::string("\xFF\xFEh\0\xE9\0", 6));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.pages[0].markdown, "h\xC3\xA9");
}

TEST_F(TextExtractorTest, Latin1IsDetectedAndConverted) {
  // "Le café est très bon. Voilà une idée déjà prête." in ISO-8859-1.
  std::string latin1 =
      "Le caf\xE9 est tr\xE8s bon et la cr\xE8me br\xFBl\xE9" "e aussi. Voil\xE0 une id\xE9" "e d\xE9j\xE0 "
      "pr\xEAte pour l'\xE9t\xE9, \xE0 la fran\xE7" "aise, tr\xE8s r\xE9ussie.";
  Run run = ExtractData("fr.txt", latin1);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.pages[0].markdown,
            "Le caf\xC3\xA9 est tr\xC3\xA8s bon et la cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e aussi. Voil\xC3\xA0 une "
            "id\xC3\xA9" "e d\xC3\xA9j\xC3\xA0 pr\xC3\xAAte pour l'\xC3\xA9t\xC3\xA9, \xC3\xA0 la fran\xC3\xA7" "aise, "
            "tr\xC3\xA8s r\xC3\xA9ussie.");
  EXPECT_EQ(run.summary.warning_count, 1);
}

TEST_F(TextExtractorTest, UndetectableBinaryFails) {
  std::string junk;
  for (int i = 0; i < 400; ++i) junk += static_cast<char>(0x80 + (i * 37) % 0x20);  // C1 controls
  Run run = ExtractData("junk.txt", "ok" + junk);
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidInput) << run.status.ToString();
  EXPECT_NE(run.status.message().find("junk.txt: not valid UTF-8 at byte 2 and encoding could not be detected"),
            std::string::npos)
      << run.status.message();
}

TEST_F(TextExtractorTest, NulBytesAreBinary) {
  Run run = ExtractData("bin.txt", std::string("abc\0def", 7));
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(run.status.message().find("bin.txt: binary data (NUL byte at offset 3)"), std::string::npos);
}

TEST_F(TextExtractorTest, EmptyFile) {
  Run run = ExtractData("e.md", "");
  EXPECT_EQ(run.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(run.status.message().find("e.md: empty file"), std::string::npos);
}

TEST_F(TextExtractorTest, MissingAndDirectory) {
  Result<ExtractSummary> r = extractor_->Extract(dir_.Join("nope.txt"), "nope.txt", {}, [](ExtractedPage&&) {
    return Status::Ok();
  });
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  r = extractor_->Extract(dir_.path(), "d.txt", {}, [](ExtractedPage&&) { return Status::Ok(); });
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("d.txt: is a directory"), std::string::npos);
}

TEST_F(TextExtractorTest, DeadlineAndTruncation) {
  ExtractOptions late;
  late.deadline_ms = 1;
  EXPECT_EQ(ExtractData("a.txt", "text", late).status.code(), Status::Code::kTimeout);
  ExtractOptions small;
  small.max_page_chars = 3;
  Run run = ExtractData("b.txt", "h\xC3\xA9llo");
  Run cut = ExtractData("c.txt", "h\xC3\xA9llo", small);
  ASSERT_TRUE(cut.status.ok());
  EXPECT_EQ(cut.pages[0].markdown, "h\xC3\xA9l");
  EXPECT_TRUE(cut.pages[0].truncated);
  EXPECT_FALSE(run.pages[0].truncated);
}

class ExtractorRegistryTest : public ::testing::Test {
 protected:
  std::vector<ExtractorPtr> extractors_ = NewDefaultExtractors();
};

TEST_F(ExtractorRegistryTest, SelectsBySuffixAndMagic) {
  EXPECT_EQ((*SelectExtractor(extractors_, "a/b.pdf", ""))->Format(), "pdf");
  EXPECT_EQ((*SelectExtractor(extractors_, "blob", "%PDF-1.5"))->Format(), "pdf");
  EXPECT_EQ((*SelectExtractor(extractors_, "x.md", "# hi"))->Format(), "text");
  EXPECT_EQ((*SelectExtractor(extractors_, "x.TXT", "hi"))->Format(), "text");
}

TEST_F(ExtractorRegistryTest, UnsupportedListsSuffixes) {
  Result<Extractor*> r = SelectExtractor(extractors_, "in/drawing.dwg", "AC1032");
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("in/drawing.dwg: unsupported file type (supported: .pdf, .md"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace docpipe
