#include "extract/page_furniture.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TextLine MakeLine(const std::string& text, float y, float size = 10, float x = 72) {
  TextLine line;
  TextSpan span;
  span.text = text;
  span.size = size;
  span.chars = static_cast<int>(text.size());
  span.x0 = x;
  span.x1 = x + 5.0f * text.size();
  line.spans.push_back(span);
  line.x0 = span.x0, line.x1 = span.x1, line.y0 = y - size, line.y1 = y;
  return line;
}

TextBlock MakeBlock(std::vector<TextLine> lines) {
  TextBlock b;
  b.lines = std::move(lines);
  b.x0 = b.lines.front().x0, b.x1 = b.lines.front().x1;
  b.y0 = b.lines.front().y0, b.y1 = b.lines.back().y1;
  return b;
}

// A Letter page: running header at the top, body, page number at the bottom.
PageLayout MakePage(int n, const std::string& header, const std::string& body) {
  PageLayout page;
  page.width = 612, page.height = 792;
  if (!header.empty()) page.blocks.push_back(MakeBlock({MakeLine(header, 50, 9)}));
  page.blocks.push_back(
      MakeBlock({MakeLine(body, 300), MakeLine("second body line " + std::to_string(n), 312)}));
  page.blocks.push_back(MakeBlock({MakeLine(std::to_string(n), 750, 9, 300)}));
  return page;
}

std::vector<std::string> Texts(const PageLayout& page) {
  std::vector<std::string> out;
  for (const TextBlock& b : page.blocks)
    for (const TextLine& l : b.lines) out.push_back(LineText(l));
  return out;
}

// Runs pages through the detector the way the extractor does.
std::vector<std::pair<PageLayout, std::string>> Detect(std::vector<PageLayout> pages) {
  FurnitureDetector d;
  std::vector<std::pair<PageLayout, std::string>> out;
  int next = 0;
  for (size_t i = 0; i < pages.size(); ++i) {
    d.Add(static_cast<int>(i) + 1, pages[i], 10);
    while (next + FurnitureDetector::kWindow <= static_cast<int>(i)) {
      std::string label = d.Strip(next + 1, pages[next]);
      out.push_back({pages[next], label});
      ++next;
    }
  }
  for (; next < static_cast<int>(pages.size()); ++next) {
    std::string label = d.Strip(next + 1, pages[next]);
    out.push_back({pages[next], label});
  }
  return out;
}

TEST(FurnitureDetectorTest, RunningHeaderAndPageNumbersRemoved) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 20; ++i)
    pages.push_back(MakePage(i, "GNU Octave (version 7.3.0)", "Body text of page " + std::to_string(i)));
  auto out = Detect(pages);
  ASSERT_EQ(out.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Texts(out[i].first), (std::vector<std::string>{"Body text of page " + std::to_string(i + 1),
                                                             "second body line " + std::to_string(i + 1)}));
    EXPECT_EQ(out[i].second, std::to_string(i + 1));
  }
}

TEST(FurnitureDetectorTest, OddEvenHeadersWithVaryingNumbersRemoved) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 12; ++i) {
    const std::string header = i % 2 == 0 ? std::to_string(i + 10) + " Chapter 2. Getting Started"
                                          : "2.3 Installing the Package " + std::to_string(i + 10);
    PageLayout p = MakePage(i, header, "Text " + std::to_string(i));
    p.blocks.pop_back();  // no footer: the number in the header is the printed page
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(Texts(out[i].first).front(), "Text " + std::to_string(i + 1)) << i;
    EXPECT_EQ(out[i].second, std::to_string(i + 11)) << i;
  }
}

TEST(FurnitureDetectorTest, RepeatedBodyContentIsKept) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 10; ++i) pages.push_back(MakePage(i, "", "Warning: do not remove this line"));
  auto out = Detect(pages);
  for (const auto& [page, label] : out) EXPECT_EQ(Texts(page).front(), "Warning: do not remove this line");
}

TEST(FurnitureDetectorTest, UniqueTopLineIsKept) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i)
    pages.push_back(MakePage(i, "Section " + std::string(1, 'A' + i) + " begins here", "x"));
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(Texts(out[i].first).front(), "Section " + std::string(1, 'A' + i + 1) + " begins here");
}

TEST(FurnitureDetectorTest, LargeTitleAtTheTopIsNotFurniture) {
  // Slides repeat their title on overlay pages: text larger than the body stays.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 6; ++i) {
    PageLayout p;
    p.width = 364, p.height = 273;
    p.blocks.push_back(MakeBlock({MakeLine("Results", 25, 16)}));
    p.blocks.push_back(MakeBlock({MakeLine("point " + std::to_string(i), 120)}));
    p.blocks.push_back(MakeBlock({MakeLine("Jane Doe  Talk title", 268, 6)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 6; ++i) {
    const std::vector<std::string> want = {"Results", "point " + std::to_string(i + 1)};
    EXPECT_EQ(Texts(out[i].first), want);
  }
}

TEST(FurnitureDetectorTest, MemoryIsAWindow) {
  FurnitureDetector d;
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 200; ++i) {
    PageLayout p = MakePage(i, "Header", "Body");
    d.Add(i, p, 10);
    if (i > FurnitureDetector::kWindow) {
      PageLayout q = MakePage(i - FurnitureDetector::kWindow, "Header", "Body");
      d.Strip(i - FurnitureDetector::kWindow, q);
      EXPECT_EQ(Texts(q).size(), 2u);
    }
  }
}

TEST(PageNumberLineTest, Forms) {
  std::string label;
  EXPECT_TRUE(IsPageNumberLine("17", &label));
  EXPECT_EQ(label, "17");
  EXPECT_TRUE(IsPageNumberLine("- 17 -", &label));
  EXPECT_EQ(label, "17");
  EXPECT_TRUE(IsPageNumberLine("Page 4 of 30", &label));
  EXPECT_EQ(label, "4");
  EXPECT_TRUE(IsPageNumberLine("12 / 40", &label));
  EXPECT_EQ(label, "12");
  EXPECT_TRUE(IsPageNumberLine("xii", &label));
  EXPECT_EQ(label, "xii");
  EXPECT_FALSE(IsPageNumberLine("Chapter 3", &label));
  EXPECT_FALSE(IsPageNumberLine("12 apples", &label));
}

}  // namespace
}  // namespace docpipe
