#include "search/search.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(PageCitationTest, PrintedLabelWithThePhysicalPageInBrackets) {
  EXPECT_EQ(PageCitation(15, 15, "xii", "xii"), "p. xii (15)");
  EXPECT_EQ(PageCitation(15, 17, "xii", "xiv"), "pp. xii\u2013xiv (15\u201317)");
  EXPECT_EQ(PageCitation(18, 19, "16", "17"), "pp. 16\u201317 (18\u201319)");
  // Front matter into the body: each end keeps its own label.
  EXPECT_EQ(PageCitation(14, 15, "xiv", "1"), "pp. xiv\u20131 (14\u201315)");
}

TEST(PageCitationTest, NumberAloneWhenTheLabelIsThePageNumberOrUnknown) {
  EXPECT_EQ(PageCitation(15, 15, "15", "15"), "p. 15");
  EXPECT_EQ(PageCitation(15, 15, "", ""), "p. 15");
  EXPECT_EQ(PageCitation(15, 17, "", ""), "pp. 15\u201317");
  // One end unknown: the number stands in for it.
  EXPECT_EQ(PageCitation(3, 4, "iii", ""), "pp. iii\u20134 (3\u20134)");
}

TEST(PageCitationTest, ChunkOverload) {
  IndexedChunk c;
  c.page_start = c.page_end = 2;
  c.page_label_start = c.page_label_end = "ii";
  EXPECT_EQ(PageCitation(c), "p. ii (2)");
}

}  // namespace
}  // namespace docpipe
