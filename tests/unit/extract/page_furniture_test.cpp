#include "extract/page_furniture.h"

#include <gtest/gtest.h>

#include <algorithm>

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

std::vector<std::string> FurnitureTexts(const PageLayout& page) {
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
    EXPECT_EQ(FurnitureTexts(out[i].first), (std::vector<std::string>{"Body text of page " + std::to_string(i + 1),
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
    EXPECT_EQ(FurnitureTexts(out[i].first).front(), "Text " + std::to_string(i + 1)) << i;
    EXPECT_EQ(out[i].second, std::to_string(i + 11)) << i;
  }
}

TEST(FurnitureDetectorTest, TwoSidedHeaderOfATwoPageSectionIsRemoved) {
  // amsfndoc.pdf: each section's title heads its pages, the page number on
  // the outer side: "12 5. How to use AMSFonts" on the left page, "5. How to
  // use AMSFonts 13" on the right. Section 5 spans those two pages only, so
  // neither form repeats on its own side; each is the other mirrored. A
  // number that does not count the pages ("3 Usage" on page 4, "Usage 9" on
  // page 5), and a line whose words differ, stay.
  const std::vector<std::string> headers = {"4 4. How to use AMSFonts with AMS-TEX",
                                            "5. How to use AMSFonts 5",
                                            "6 5. How to use AMSFonts",
                                            "6. Using cyrillic 7",
                                            "8 7. Using the extra symbols",
                                            "3 Usage of the extra symbols",
                                            "Usage of the extra symbols 9",
                                            "10 8. References",
                                            "8. References and more 11"};
  std::vector<PageLayout> pages;
  for (int n = 1; n <= 12; ++n) {  // pages 1-3 without a header
    PageLayout p = MakePage(n, n >= 4 ? headers[n - 4] : "", "Text " + std::to_string(n - 4));
    p.blocks.pop_back();  // no footer
    pages.push_back(p);
  }
  auto out = Detect(pages);
  ASSERT_EQ(out.size(), 12u);
  auto first_line = [&](int page) { return FurnitureTexts(out[page - 1].first).front(); };
  EXPECT_EQ(first_line(5), "Text 1");  // "5. How to use AMSFonts 5", mirrored on page 6
  EXPECT_EQ(out[4].second, "5");
  EXPECT_EQ(first_line(6), "Text 2");
  EXPECT_EQ(out[5].second, "6");
  EXPECT_EQ(first_line(4), "4 4. How to use AMSFonts with AMS-TEX");  // alone: nothing mirrors it
  EXPECT_EQ(first_line(7), "6. Using cyrillic 7");
  EXPECT_EQ(first_line(9), "3 Usage of the extra symbols");  // 3 and 9 do not count pages 9 and 10
  EXPECT_EQ(first_line(10), "Usage of the extra symbols 9");
  EXPECT_EQ(first_line(11), "10 8. References");  // "References and more": other words
  EXPECT_EQ(first_line(12), "8. References and more 11");
}

// A line of two cells far apart, as a header with its page number at the
// outer edge: `left` at the margin, `right` at x 500.
TextLine MakeCellsLine(const std::string& left, const std::string& right, float y) {
  TextLine line = MakeLine(left, y, 9);
  TextLine second = MakeLine(right, y, 9, 500);
  second.spans[0].gap_before = true;
  line.spans.push_back(second.spans[0]);
  line.x1 = second.x1;
  return line;
}

TEST(FurnitureDetectorTest, HeadersNamingEachPagesTopicBesideThePageNumberAreRemoved) {
  // R's reference manual heads each page with the topic it is on and the
  // page number at the outer edge: "458 proportions", "prop.table 459"...
  // topics change every page or two. A line whose number is not a cell of
  // its own ("\nobrA: 40" in an index) stays.
  const std::vector<std::string> topics = {"abbreviate", "agrep", "all", "any", "aperm", "apply", "args", "array"};
  std::vector<PageLayout> pages;
  for (int n = 1; n <= 8; ++n) {
    PageLayout p = MakePage(n, "", "Text " + std::to_string(n));
    p.blocks.pop_back();  // no footer
    const std::string number = std::to_string(n + 30);
    p.blocks.insert(p.blocks.begin(), MakeBlock({n % 2 == 0 ? MakeCellsLine(number, topics[n - 1], 50)
                                                            : MakeCellsLine(topics[n - 1], number, 50)}));
    p.blocks.push_back(MakeBlock({MakeLine("\\" + topics[n - 1] + ": " + std::to_string(n + 40), 700)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(FurnitureTexts(out[i].first).front(), "Text " + std::to_string(i + 1)) << i;
    EXPECT_EQ(FurnitureTexts(out[i].first).back(), "\\" + topics[i] + ": " + std::to_string(i + 41)) << i;
    EXPECT_EQ(out[i].second, std::to_string(i + 31)) << i;
  }
}

// `n` in Persian digits ("۱۲").
std::string PersianNumber(int n) {
  std::string out;
  for (char c : std::to_string(n)) out += "\xDB" + std::string(1, static_cast<char>(0xB0 + (c - '0')));  // U+06F0 + d
  return out;
}

TEST(FurnitureDetectorTest, PageNumbersInPersianDigitsAreRemovedAndLabelThePage) {
  // lshort-persian.pdf: "۵ . ۲ محیط تصویر ۹۱" at the top of each page of
  // section 5.2 (its number and title, then the printed page), no footer.
  std::vector<PageLayout> pages;
  const std::string section = PersianNumber(5) + " . " + PersianNumber(2) +
                              " \xD9\x85\xD8\xAD\xDB\x8C\xD8\xB7 \xD8\xAA\xD8\xB5\xD9\x88\xDB\x8C\xD8\xB1 ";  // محیط تصویر
  for (int i = 1; i <= 10; ++i) {
    PageLayout p = MakePage(i, section + PersianNumber(i + 90), "Text " + std::to_string(i));
    p.blocks.back() = MakeBlock({MakeLine(PersianNumber(i + 90), 750, 9, 300)});  // and a bare one at the foot
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(FurnitureTexts(out[i].first),
              (std::vector<std::string>{"Text " + std::to_string(i + 1), "second body line " + std::to_string(i + 1)}))
        << i;
    EXPECT_EQ(out[i].second, PersianNumber(i + 91)) << i;
  }
}

TEST(FurnitureDetectorTest, RemovedLinesAreReported) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) pages.push_back(MakePage(i, "GNU Octave (version 7.3.0)", "Body " + std::to_string(i)));
  FurnitureDetector d;
  for (int i = 0; i < 8; ++i) d.Add(i + 1, pages[i], 10);
  std::vector<std::string> removed;
  EXPECT_EQ(d.Strip(1, pages[0], &removed), "1");
  EXPECT_EQ(removed, (std::vector<std::string>{"GNU Octave (version 7.3.0)", "1"}));
  EXPECT_EQ(FurnitureTexts(pages[0]), (std::vector<std::string>{"Body 1", "second body line 1"}));
}

TEST(FurnitureDetectorTest, LabelIsTheNumberThatCountsPages) {
  // The header's number counts the pages; a bare "3" sits at the foot of
  // every page (a constant marker, not a folio): the header's number is the
  // printed page.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 10; ++i) {
    PageLayout p = MakePage(i, "2.3 Installing the Package " + std::to_string(i + 40), "Text " + std::to_string(i));
    p.blocks.back() = MakeBlock({MakeLine("3", 750, 9, 300)});
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(FurnitureTexts(out[i].first).front(), "Text " + std::to_string(i + 1)) << i;
    EXPECT_EQ(out[i].second, std::to_string(i + 41)) << i;
  }
}

TEST(FurnitureDetectorTest, HeaderALittleLessThanALineAboveTheBodyIsRemoved) {
  // LaTeX sets the running head a blank line above the text block; with
  // MuPDF's line boxes the gap is 0.75-0.95 of the header's height.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) {
    PageLayout p;
    p.width = 612, p.height = 792;
    p.blocks.push_back(MakeBlock({MakeLine("CHAPTER 2. TABLES", 60, 9)}));
    p.blocks.push_back(MakeBlock({MakeLine("First line of page " + std::to_string(i), 60 + 0.8f * 9 + 10),
                                  MakeLine("next line", 60 + 0.8f * 9 + 22)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(FurnitureTexts(out[i].first).front(), "First line of page " + std::to_string(i + 1));
}

TEST(FurnitureDetectorTest, RepeatedBodyContentIsKept) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 10; ++i) pages.push_back(MakePage(i, "", "Warning: do not remove this line"));
  auto out = Detect(pages);
  for (const auto& [page, label] : out) EXPECT_EQ(FurnitureTexts(page).front(), "Warning: do not remove this line");
}

TEST(FurnitureDetectorTest, RepeatedRowsBelowATopLineThatIsBodyAreKept) {
  // pdfmsym-doc's symbol tables: each page opens with the name of its
  // symbol, then rows that are the same, at the same height, on four pages.
  // Furniture runs inwards from the edge; below a line that is body, a
  // repeated row is body too. The page numbers still go.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) {
    PageLayout page = MakePage(i, "", "Body text of page " + std::to_string(i));
    page.blocks.push_back(MakeBlock({MakeLine("\\var" + std::string(1, 'a' + i) + "arrow:", 50),
                                     MakeLine("\\displaystyle A B A B A", 70),
                                     MakeLine("\\textstyle A B A B A", 90)}));
    pages.push_back(page);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) {
    const std::vector<std::string> texts = FurnitureTexts(out[i].first);
    EXPECT_EQ(std::count(texts.begin(), texts.end(), "\\displaystyle A B A B A"), 1) << "page " << i + 1;
    EXPECT_EQ(std::count(texts.begin(), texts.end(), "\\textstyle A B A B A"), 1) << "page " << i + 1;
    EXPECT_EQ(std::count(texts.begin(), texts.end(), std::to_string(i + 1)), 0) << "page " << i + 1;
    EXPECT_EQ(out[i].second, std::to_string(i + 1));
  }
}

TEST(FurnitureDetectorTest, UniqueTopLineIsKept) {
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i)
    pages.push_back(MakePage(i, "Section " + std::string(1, 'A' + i) + " begins here", "x"));
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(FurnitureTexts(out[i].first).front(), "Section " + std::string(1, 'A' + i + 1) + " begins here");
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
    EXPECT_EQ(FurnitureTexts(out[i].first), want);
  }
}

TEST(FurnitureDetectorTest, FooterLargerThanASmallBodyIsRemoved) {
  // bidi.pdf: pages of a source listing set at 7 pt, so the body size is 7,
  // and a running footer at 10 pt that names the file and the page. A
  // larger line at the top may be a title; at the foot it is furniture.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 10; ++i) {
    PageLayout p;
    p.width = 595, p.height = 842;
    p.blocks.push_back(MakeBlock({MakeLine("Listing line " + std::to_string(i), 300, 7),
                                  MakeLine("next line", 309, 7)}));
    p.blocks.push_back(MakeBlock({MakeLine("File extrafootnotefeatures-xetex-bidi.def " + std::to_string(i + 220),
                                           755, 10, 213)}));
    pages.push_back(p);
  }
  FurnitureDetector d;
  for (int i = 0; i < 10; ++i) d.Add(i + 1, pages[i], 7);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(d.Strip(i + 1, pages[i]), std::to_string(i + 221)) << i;
    EXPECT_EQ(FurnitureTexts(pages[i]), (std::vector<std::string>{"Listing line " + std::to_string(i + 1), "next line"}))
        << i;
  }
}

TEST(FurnitureDetectorTest, FooterWhoseTextChangesEveryPageButCountsThePagesIsRemoved) {
  // xepersian.pdf documents one file per page: its footer names the file,
  // so no two pages share it, but the page number at its end counts the
  // pages. A cross-reference at the foot of the body ("..., page 561."),
  // different on each page, that happens to count them too is a sentence
  // and stays.
  std::vector<PageLayout> pages;
  const char* const kFiles[] = {"amsbook", "artikel3", "beamerbasetranslator", "boek", "breqn", "color", "framed"};
  for (int i = 1; i <= 7; ++i) {
    PageLayout p;
    p.width = 595, p.height = 842;
    p.blocks.push_back(MakeBlock({MakeLine("Body of page " + std::to_string(i), 300), MakeLine("more", 312)}));
    p.blocks.push_back(MakeBlock({MakeLine("See also: [" + std::string(kFiles[i - 1]) + "], page " + std::to_string(i + 560) + ".", 700)}));
    p.blocks.push_back(MakeBlock(
        {MakeLine("File " + std::string(kFiles[i - 1]) + "-xepersian.def " + std::to_string(i + 1), 755, 10, 213)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(FurnitureTexts(out[i].first),
              (std::vector<std::string>{"Body of page " + std::to_string(i + 1), "more",
                                        "See also: [" + std::string(kFiles[i]) + "], page " +
                                            std::to_string(i + 561) + "."}))
        << i;
    EXPECT_EQ(out[i].second, std::to_string(i + 2)) << i;
  }
}

TEST(FurnitureDetectorTest, BoldBodySizedFrameTitleRepeatedOnOverlaysIsKept) {
  // beamer's Darmstadt theme: a small section bar and subsection line above
  // the frame title, which is bold at body size; the frame has four overlay
  // steps, so the title repeats at the same place on four slides in a row
  // (beamerexample-conference-talk.pdf, pages 7-10).
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) {
    PageLayout p;
    p.width = 364, p.height = 273;
    p.blocks.push_back(MakeBlock({MakeLine("Introduction Bad News Summary", 8, 6, 8)}));
    p.blocks.push_back(MakeBlock({MakeLine("The Integrated Approach", 23, 6, 8)}));
    TextLine title = MakeLine(i <= 4 ? "How blocks help" : "Objective of the approach", 40, 11, 8);
    title.spans.front().bold = true;
    p.blocks.push_back(MakeBlock({title}));
    p.blocks.push_back(MakeBlock({MakeLine("point " + std::to_string(i), 80, 11, 40)}));
    pages.push_back(p);
  }
  FurnitureDetector d;
  std::vector<std::vector<std::string>> removed(pages.size());
  int next = 0;
  for (size_t i = 0; i < pages.size(); ++i) {
    d.Add(static_cast<int>(i) + 1, pages[i], 11);
    for (; next + FurnitureDetector::kWindow <= static_cast<int>(i); ++next) d.Strip(next + 1, pages[next], &removed[next]);
  }
  for (; next < static_cast<int>(pages.size()); ++next) d.Strip(next + 1, pages[next], &removed[next]);
  for (int i = 0; i < 8; ++i) {
    const std::string title = i < 4 ? "How blocks help" : "Objective of the approach";
    EXPECT_EQ(FurnitureTexts(pages[i]), (std::vector<std::string>{title, "point " + std::to_string(i + 1)})) << i;
    EXPECT_EQ(removed[i], (std::vector<std::string>{"Introduction Bad News Summary", "The Integrated Approach"}))
        << i;
  }
}

// A beamer slide (364 x 273 pt) with a table of contents down the right edge.
PageLayout MakeSidebarSlide(int n, const std::vector<std::string>& sidebar) {
  PageLayout p;
  p.width = 364, p.height = 273;
  p.blocks.push_back(MakeBlock({MakeLine("Frame title " + std::to_string(n), 80, 11, 20)}));
  p.blocks.push_back(MakeBlock({MakeLine("point " + std::to_string(n), 120, 10, 20),
                                MakeLine("more of slide " + std::to_string(n), 132, 10, 20)}));
  std::vector<TextLine> nav;
  // Below the top band (20 % of the height): the side rule alone applies.
  for (size_t k = 0; k < sidebar.size(); ++k) nav.push_back(MakeLine(sidebar[k], 100 + 10.0f * k, 5, 300));
  if (!nav.empty()) p.blocks.push_back(MakeBlock(nav));
  return p;
}

TEST(FurnitureDetectorTest, SlideSidebarNavigationRemoved) {
  const std::vector<std::string> nav = {"Ziele", "Syntax", "Semantik", "Zusammenfassung"};
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) pages.push_back(MakeSidebarSlide(i, nav));
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) {
    const std::string n = std::to_string(i + 1);
    EXPECT_EQ(FurnitureTexts(out[i].first), (std::vector<std::string>{"Frame title " + n, "point " + n, "more of slide " + n}))
        << i;
  }
}

TEST(FurnitureDetectorTest, TwoRepeatedSideLinesOnSlidesAreKept) {
  // Fewer than three repeated lines in the strip: content an overlay repeats.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) pages.push_back(MakeSidebarSlide(i, {"x = 1", "y = 2"}));
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(FurnitureTexts(out[i].first).size(), 5u) << i;
}

TEST(FurnitureDetectorTest, BodySizedSideColumnOnOverlaySlidesIsKept) {
  // A derivation in a right-hand column, repeated on every step of an
  // overlay: body-sized text, content.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) {
    PageLayout p = MakeSidebarSlide(i, {});
    p.blocks.push_back(MakeBlock({MakeLine("a2 = 2b2", 100, 10, 290), MakeLine("(2k)2 = 2b2", 112, 10, 290),
                                  MakeLine("4k2 = 2b2", 124, 10, 290)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(FurnitureTexts(out[i].first).size(), 6u) << i;
}

TEST(FurnitureDetectorTest, ShortListOnOverlaySlidesIsKept) {
  // Overlays repeat a list of short items at the left margin; the slide's
  // longer lines start at the same margin: no column of its own.
  std::vector<PageLayout> pages;
  for (int i = 1; i <= 8; ++i) {
    PageLayout p;
    p.width = 364, p.height = 273;
    p.blocks.push_back(MakeBlock({MakeLine("Apples", 100, 10, 20), MakeLine("Pears", 112, 10, 20),
                                  MakeLine("Plums", 124, 10, 20),
                                  MakeLine("All of them grow in the orchard, step " + std::to_string(i), 136, 10, 20)}));
    pages.push_back(p);
  }
  auto out = Detect(pages);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(FurnitureTexts(out[i].first).size(), 4u) << i;
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
      EXPECT_EQ(FurnitureTexts(q).size(), 2u);
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
  EXPECT_TRUE(IsPageNumberLine("\xD9\xA1\xD9\xA7", &label));  // Arabic-Indic ١٧
  EXPECT_EQ(label, "\xD9\xA1\xD9\xA7");
  EXPECT_TRUE(IsPageNumberLine("\xE0\xA5\xA7\xE0\xA5\xAA", &label));  // Devanagari १४
  EXPECT_FALSE(IsPageNumberLine("1\xD9\xA7x", &label));
  EXPECT_FALSE(IsPageNumberLine("Chapter 3", &label));
  EXPECT_FALSE(IsPageNumberLine("12 apples", &label));
}

}  // namespace
}  // namespace docpipe
