// Search cites pages by their printed label beside the physical page number:
// a PDF whose front matter is numbered i, ii and its body 1, 2 (/PageLabels),
// ingested and searched through the real binary.
#include "e2e/cli_fixture.h"
#include "support/pdf_maker.h"

namespace docpipe::testing {
namespace {

// Roughly 200 words of filler around `word`, so a page is a section of its
// own above the chunker's minimum.
std::vector<std::string> PageLabelsBody(const std::string& word) {
  std::vector<std::string> lines;
  for (int i = 0; i < 18; ++i) {
    lines.push_back(i == 9 ? "The " + word + " appears on this page and nowhere else in the book."
                           : "This line of ordinary prose fills the page with words of no interest.");
  }
  return lines;
}

class PageLabelsSearchTest : public CliTest {
 protected:
  void SetUp() override {
    PdfSpec spec;
    const std::vector<std::pair<std::string, std::string>> pages = {
        {"Foreword", "zebrafish"}, {"Preface", "lighthouse"}, {"Introduction", "quartz"}, {"Methods", "glacier"}};
    for (size_t p = 0; p < pages.size(); ++p) {
      PdfPageBuilder page;
      page.Line(pages[p].first, 18, PdfFont::kSansBold).Gap(8);
      for (const std::string& line : PageLabelsBody(pages[p].second)) page.Line(line);
      spec.pages.push_back(page.Build());
      spec.outline.push_back({1, pages[p].first, static_cast<int>(p) + 1, 760});
    }
    spec.page_labels = {{0, "r", "", 1}, {2, "D", "", 1}};  // i, ii, then 1, 2
    std::filesystem::create_directories(Docs());
    ASSERT_TRUE(MakePdf(spec, Docs() + "/book.pdf").ok());
    ProcessResult r = Docpipe({"ingest", Docs()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  nlohmann::json Top(const std::string& word) {
    nlohmann::json hits = DocpipeJson({"search", "--json", "--mode", "keyword", "-k", "1", word});
    EXPECT_EQ(hits.size(), 1u) << hits.dump(2);
    return hits.empty() ? nlohmann::json::object() : hits[0];
  }
};

TEST_F(PageLabelsSearchTest, JsonHitsCarryThePrintedLabelAndTheCitation) {
  nlohmann::json front = Top("lighthouse");
  EXPECT_EQ(front["page_start"], 2);
  EXPECT_EQ(front["page_end"], 2);
  EXPECT_EQ(front["page_label_start"], "ii");
  EXPECT_EQ(front["page_label_end"], "ii");
  EXPECT_EQ(front["citation"], "p. ii (2)");
  nlohmann::json body = Top("glacier");
  EXPECT_EQ(body["page_start"], 4);
  EXPECT_EQ(body["page_label_start"], "2");
  EXPECT_EQ(body["citation"], "p. 2 (4)");
}

TEST_F(PageLabelsSearchTest, TextOutputCitesThePrintedLabel) {
  ProcessResult r = Docpipe({"search", "--mode", "keyword", "-k", "1", "zebrafish"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string first_line = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(first_line.find("/book.pdf  p. i (1)"), std::string::npos) << r.out;
  r = Docpipe({"search", "--mode", "keyword", "-k", "1", "quartz"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.substr(0, r.out.find('\n')).find("/book.pdf  p. 1 (3)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace docpipe::testing
