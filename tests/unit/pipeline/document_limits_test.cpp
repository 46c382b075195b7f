#include "pipeline/document_limits.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(ExtractionBudgetTest, EachLimitFailsNamingItselfAndHowToRaiseIt) {
  DocumentLimits limits;
  limits.max_pages = 3;
  {
    ExtractionBudget b(limits, "input/a.pdf", 1 << 20);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.AddPage(10).ok());
    Status st = b.AddPage(10);
    EXPECT_EQ(st.code(), Status::Code::kInvalidInput);
    EXPECT_EQ(st.message(), "input/a.pdf: over the document limit max_pages: more than 3 pages "
                            "(raise it with limits.max_pages or DOCPIPE_MAX_PAGES)");
  }
  limits = DocumentLimits{};
  limits.max_chars = 1000;
  {
    ExtractionBudget b(limits, "input/b.txt", 1 << 20);
    EXPECT_TRUE(b.AddPage(600).ok());
    Status st = b.AddPage(600);
    EXPECT_NE(st.message().find("max_chars: more than 1000 characters by page 2"), std::string::npos) << st.message();
  }
}

// The 104 KB PDF of issue 17 made 35 million characters: 340 per byte.
TEST(ExtractionBudgetTest, ExpansionCountsOnlyPastTheFloor) {
  DocumentLimits limits;  // ratio 100
  ExtractionBudget small(limits, "input/tiny.md", 100);
  EXPECT_TRUE(small.AddPage(900'000).ok());  // 9000 per byte, but under a million characters
  ExtractionBudget bomb(limits, "input/bomb.pdf", 104'000);
  Status st;
  int pages = 0;
  while (st.ok() && pages < 300) {
    st = bomb.AddPage(120'000);
    ++pages;
  }
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput);
  EXPECT_NE(st.message().find("max_expansion_ratio"), std::string::npos) << st.message();
  EXPECT_EQ(pages, 87);  // 87 * 120k > 100 * 104k: stopped long before page 300
}

}  // namespace
}  // namespace docpipe
