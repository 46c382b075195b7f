#include "extract/page_labels.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(PageLabelsTest, RomanFrontMatterThenDecimal) {
  const std::vector<PageLabelRange> ranges = {{0, 'r', "", 1}, {4, 'D', "", 1}, {10, 'A', "A-", 1}};
  EXPECT_EQ(PageLabel(ranges, 0), "i");
  EXPECT_EQ(PageLabel(ranges, 3), "iv");
  EXPECT_EQ(PageLabel(ranges, 4), "1");
  EXPECT_EQ(PageLabel(ranges, 9), "6");
  EXPECT_EQ(PageLabel(ranges, 10), "A-A");
  EXPECT_EQ(PageLabel(ranges, 11), "A-B");
}

TEST(PageLabelsTest, StartAndLetters) {
  EXPECT_EQ(PageLabel({{0, 'D', "", 17}}, 2), "19");
  EXPECT_EQ(PageLabel({{0, 'a', "", 27}}, 0), "aa");
  EXPECT_EQ(PageLabel({{0, 0, "Cover", 1}}, 0), "Cover");
  EXPECT_EQ(PageLabel({{2, 'D', "", 1}}, 0), "");
}

TEST(PageLabelsTest, Roman) {
  EXPECT_EQ(RomanNumeral(1994, true), "MCMXCIV");
  EXPECT_EQ(RomanNumeral(4, false), "iv");
  EXPECT_EQ(RomanNumeral(0, false), "");
}

}  // namespace
}  // namespace docpipe
