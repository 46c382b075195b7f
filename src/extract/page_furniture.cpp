#include "extract/page_furniture.h"

#include "common/utf8.h"
#include "extract/text_normalizer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace docpipe {
namespace {

constexpr float kSameHeight = 3;  // points between baselines of "the same place"
constexpr size_t kMaxFurnitureBytes = 200;
constexpr float kMaxFurnitureSizeRatio = 1.15f;  // larger text is a title, not a running header
constexpr float kMaxSideSizeRatio = 0.9f;        // a slide's navigation column is smaller than the body
constexpr float kMinSlideTitleRatio = 0.75f;     // a slide's bold title is near body size, navigation smaller
// Gap between a header (footer) and the body, in heights of the header's
// line box: body lines run on at about 0, paragraphs at 0.5; LaTeX sets its
// header a blank line above the text (0.75-0.95 with MuPDF's boxes).
constexpr float kSeparation = 0.7f;

// `t` in ASCII digits when it is 1-6 decimal digits of any script, else "".
std::string AsciiDigits(const std::string& t) {
  std::string out;
  for (size_t i = 0; i < t.size();) {
    size_t length = 0;
    const int d = DecimalDigitValue(DecodeUtf8(t, i, &length));
    if (d < 0 || out.size() == 6) return "";
    out += static_cast<char>('0' + d);
    i += length;
  }
  return out;
}

bool IsDigits(const std::string& t) { return !AsciiDigits(t).empty(); }

bool IsRoman(std::string_view t) {
  if (t.empty() || t.size() > 7) return false;
  const bool lower =
      std::all_of(t.begin(), t.end(), [](char c) { return std::strchr("ivxlcdm", c) != nullptr; });
  const bool upper =
      std::all_of(t.begin(), t.end(), [](char c) { return std::strchr("IVXLCDM", c) != nullptr; });
  return lower || upper;
}

int RomanValue(const std::string& t) {
  int total = 0, prev = 0;
  for (auto it = t.rbegin(); it != t.rend(); ++it) {
    int v = 0;
    switch (std::tolower(static_cast<unsigned char>(*it))) {
      case 'i':
        v = 1;
        break;
      case 'v':
        v = 5;
        break;
      case 'x':
        v = 10;
        break;
      case 'l':
        v = 50;
        break;
      case 'c':
        v = 100;
        break;
      case 'd':
        v = 500;
        break;
      case 'm':
        v = 1000;
        break;
      default:
        return -1;
    }
    total += v < prev ? -v : v;
    prev = std::max(prev, v);
  }
  return total;
}

// Value of a page-number token, or -1.
int NumberValue(const std::string& t) {
  if (const std::string digits = AsciiDigits(t); !digits.empty()) return std::stoi(digits);
  if (IsRoman(t)) return RomanValue(t);
  return -1;
}

std::vector<std::string> FurnitureWords(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (c == ' ') {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}

// Masks what changes from page to page: digit runs (of any script) become
// '#', and so do words that are roman numerals (page numbers of front matter).
std::string MaskNumbers(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  // The words of FurnitureWords, read in place.
  for (size_t start = 0; start < text.size();) {
    if (text[start] == ' ') {
      ++start;
      continue;
    }
    const size_t end = std::min(text.find(' ', start), text.size());
    const std::string_view w(text.data() + start, end - start);
    start = end;
    if (!out.empty()) out += ' ';
    if (IsRoman(w) && w.size() <= 5 && (w.size() > 1 || w == "i" || w == "v" || w == "x")) {
      out += '#';
      continue;
    }
    bool in_digits = false;
    for (size_t i = 0; i < w.size();) {
      size_t length = 1;
      const auto byte = static_cast<unsigned char>(w[i]);
      const bool digit = byte < 0x80 ? (byte >= '0' && byte <= '9')
                                     : DecimalDigitValue(DecodeUtf8(w, i, &length)) >= 0;
      if (digit && !in_digits) out += '#';
      if (!digit) out.append(w.substr(i, length));
      in_digits = digit;
      i += length;
    }
  }
  return out;
}

// What a line says besides its first (or last) word, numbers masked: a
// running header's text apart from a page number at that end.
std::string MaskedWithout(const std::vector<std::string>& words, bool first) {
  if (words.size() < 2) return {};
  std::string rest;
  for (size_t k = first ? 1 : 0; k < words.size() - (first ? 0 : 1); ++k) {
    if (!rest.empty()) rest += ' ';
    rest += words[k];
  }
  return MaskNumbers(rest);
}

std::string StripPunct(std::string t) {
  auto punct = [](unsigned char c) {
    return c == '-' || c == '(' || c == ')' || c == '[' || c == ']' || c == '.' || c == ',';
  };
  while (!t.empty() && punct(t.front())) t.erase(t.begin());
  while (!t.empty() && punct(t.back())) t.pop_back();
  return t;
}

using Bands = FurnitureDetector::Bands;
bool InTopBand(const TextLine& line, const PageLayout& page, Bands band) {
  return line.y1 <= page.height * band.top;
}
bool InBottomBand(const TextLine& line, const PageLayout& page, Bands band) {
  return line.y0 >= page.height * (1 - band.bottom);
}

float DominantSize(const TextLine& line) {
  float size = 0;
  int best = -1;
  for (const TextSpan& s : line.spans) {
    if (s.chars > best) best = s.chars, size = s.size;
  }
  return size;
}

// Share of the line's characters set in bold.
float BoldShare(const TextLine& line) {
  int bold = 0, all = 0;
  for (const TextSpan& s : line.spans) all += s.chars, bold += s.bold ? s.chars : 0;
  return all > 0 ? static_cast<float>(bold) / static_cast<float>(all) : 0.0f;
}

// Lines that may be furniture: in the top (or bottom) band, and cut off from
// the body by a gap of most of a line, themselves or through at most two
// more band lines further in (a two-line header). Body text that happens
// to start inside the band runs on at line spacing, so it never qualifies.
// Masked texts of a line's pieces between wide gaps.
std::vector<std::string> MaskedCells(const TextLine& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (const TextSpan& s : line.spans) {
    if (s.gap_before && !cur.empty()) {
      cells.push_back(MaskNumbers(cur));
      cur.clear();
    }
    cur += s.text;
  }
  if (!cur.empty()) cells.push_back(MaskNumbers(cur));
  cells.erase(std::remove(cells.begin(), cells.end(), std::string()), cells.end());
  return cells;
}

struct OuterLine {
  const TextLine* line;
  bool top;
  bool separated;  // false: only the outermost line, which may still be a bare page number
};

std::vector<OuterLine> OuterLines(const PageLayout& page, Bands band) {
  std::vector<const TextLine*> lines;
  for (const TextBlock& b : page.blocks)
    for (const TextLine& l : b.lines) lines.push_back(&l);
  std::sort(lines.begin(), lines.end(), [](const TextLine* a, const TextLine* b) { return a->y0 < b->y0; });
  std::vector<OuterLine> out;
  // The next line towards the body must be far enough away, and not the
  // outermost line of the other edge inside that edge's band (then the page
  // holds nothing but these two: no body to set them apart from).
  auto separated = [&](size_t k, bool top) {
    const TextLine* l = lines[k];
    const float h = std::max(2.0f, l->y1 - l->y0);
    if (top) {
      for (size_t j = k + 1; j < lines.size(); ++j) {
        if (lines[j]->y0 < l->y1 - 0.3f * h) continue;  // same baseline or overlapping
        return lines[j]->y0 - l->y1 >= kSeparation * h &&
               (j + 1 < lines.size() || !InBottomBand(*lines[j], page, band));
      }
    } else {
      for (size_t j = k; j-- > 0;) {
        if (lines[j]->y1 > l->y0 + 0.3f * h) continue;
        return l->y0 - lines[j]->y1 >= kSeparation * h && (j > 0 || !InTopBand(*lines[j], page, band));
      }
    }
    return false;
  };
  for (size_t k = 0; k < lines.size() && InTopBand(*lines[k], page, band); ++k) {
    bool sep = false;
    for (size_t j = k; j < lines.size() && j <= k + 2 && InTopBand(*lines[j], page, band) && !sep; ++j) {
      sep = separated(j, true);
    }
    if (sep || k == 0) out.push_back({lines[k], true, sep});
  }
  for (size_t k = lines.size(); k-- > 0 && InBottomBand(*lines[k], page, band);) {
    bool sep = false;
    for (size_t j = k + 1; j-- > 0 && j + 2 >= k && InBottomBand(*lines[j], page, band) && !sep;) {
      sep = separated(j, false);
    }
    if (sep || k + 1 == lines.size()) out.push_back({lines[k], false, sep});
  }
  return out;
}

bool IsSlide(const PageLayout& page) { return page.width > 1.2f * page.height; }

// Lines of a slide wholly inside its left or right strip.
std::vector<const TextLine*> SideStripLines(const PageLayout& page, float band) {
  std::vector<const TextLine*> out;
  if (!IsSlide(page)) return out;
  for (const TextBlock& b : page.blocks)
    for (const TextLine& l : b.lines) {
      if (l.x0 >= (1 - band) * page.width || l.x1 <= band * page.width) out.push_back(&l);
    }
  return out;
}

}  // namespace

bool IsPageNumberLine(const std::string& text, std::string* label) {
  std::vector<std::string> words = FurnitureWords(text);
  if (words.empty() || words.size() > 4) return false;
  // "Page 17", "Page 17 of 230", "17 / 230", "- 17 -", "[17]".
  if (words.size() >= 2 && (words[0] == "Page" || words[0] == "page" || words[0] == "PAGE" ||
                            words[0] == "p." || words[0] == "Seite" || words[0] == "Página")) {
    words.erase(words.begin());
  }
  if (words.size() == 3 && (words[1] == "/" || words[1] == "of" || words[1] == "von" || words[1] == "de")) {
    words.resize(1);
  }
  if (words.size() == 3 && (words[0] == "-" || words[0] == "\xE2\x80\x93") && words[0] == words[2]) {
    words = {words[1]};
  }
  if (words.size() == 1 && words[0].find('/') != std::string::npos) {  // "17/230"
    std::string a = words[0].substr(0, words[0].find('/'));
    std::string b = words[0].substr(words[0].find('/') + 1);
    if (IsDigits(a) && IsDigits(b)) words = {a};
  }
  if (words.size() != 1) return false;
  const std::string t = StripPunct(words[0]);
  if (NumberValue(t) < 0) return false;
  if (label) *label = t;
  return true;
}

void FurnitureDetector::Add(int number, const PageLayout& page, float body_size) {
  PageLines p;
  p.number = number;
  if (page.height > 0) {
    const bool slide = IsSlide(page);
    for (const auto& [line, top, separated] : OuterLines(page, BandsOf(page))) {
      if (!separated) continue;
      // A larger line at the top is more likely a title than a running
      // header. A footer is never a title. Its body size may also be wrong:
      // a source listing set smaller than its prose has a small body size.
      if (top && body_size > 0 && DominantSize(*line) > kMaxFurnitureSizeRatio * body_size) continue;
      const std::string text = LineText(*line);
      if (text.empty() || text.size() > kMaxFurnitureBytes) continue;
      std::vector<std::string> words = FurnitureWords(text);
      std::string number;
      const bool page_number = IsPageNumberLine(text, &number);
      // A slide's title repeats at the same place on each overlay step of
      // its frame and on continuation frames: on a slide, a bold line at
      // the top, near body size, is that title (beamer's Darmstadt theme
      // sets it bold at body size, plain TeX's `present` bold at 0.83 of
      // it); headline navigation is set far smaller (beamer's \tiny, 0.55).
      if (slide && top && !page_number && body_size > 0 &&
          DominantSize(*line) >= kMinSlideTitleRatio * body_size && BoldShare(*line) > 0.5f)
        continue;
      p.lines.push_back(Candidate{top, line->y1, MaskNumbers(text), MaskedCells(*line), StripPunct(words.front()),
                                  StripPunct(words.back()), number, MaskedWithout(words, true),
                                  MaskedWithout(words, false)});
    }
    // Navigation is set smaller than the body; a derivation or a list that
    // overlays repeat in a column of its own is body-sized.
    for (const TextLine* line : SideStripLines(page, kSlideSideBand)) {
      if (body_size <= 0 || DominantSize(*line) >= kMaxSideSizeRatio * body_size) continue;
      const std::string text = LineText(*line);
      if (!text.empty() && text.size() <= kMaxFurnitureBytes) p.side.push_back({line->x0, line->y1, text});
    }
  }
  window_.push_back(std::move(p));
}

int FurnitureDetector::Matches(int number, const Candidate& c) const {
  int whole = 0;
  std::vector<int> per_cell(c.cells.size(), 0);
  for (const PageLines& p : window_) {
    if (p.number == number || std::abs(p.number - number) > kWindow) continue;
    bool line_found = false;
    std::vector<bool> cell_found(c.cells.size(), false);
    for (const Candidate& o : p.lines) {
      if (o.top != c.top || std::abs(o.y - c.y) > kSameHeight) continue;
      line_found |= o.key == c.key;
      for (size_t k = 0; k < c.cells.size(); ++k) {
        cell_found[k] = cell_found[k] || o.key == c.cells[k] ||
                        std::find(o.cells.begin(), o.cells.end(), c.cells[k]) != o.cells.end();
      }
    }
    whole += line_found ? 1 : 0;
    for (size_t k = 0; k < c.cells.size(); ++k) per_cell[k] += cell_found[k] ? 1 : 0;
  }
  if (c.cells.size() < 2) return whole;
  return std::max(whole, *std::min_element(per_cell.begin(), per_cell.end()));
}

FurnitureDetector::Bands FurnitureDetector::BandsOf(const PageLayout& page) const {
  // Slides (landscape pages) stack a navigation bar and a section line above
  // the frame title: their top band is deeper.
  if (IsSlide(page)) return Bands{kSlideTopBand, bottom_band_};
  return Bands{top_band_, bottom_band_};
}

bool FurnitureDetector::NumberCountsPages(int number, bool top, float y, const std::string& value) const {
  const int v = NumberValue(value);
  if (v < 0) return false;
  for (const PageLines& p : window_) {
    if (p.number == number || std::abs(p.number - number) > kWindow) continue;
    for (const Candidate& o : p.lines) {
      if (o.top != top || std::abs(o.y - y) > kSameHeight || o.number.empty()) continue;
      if (NumberValue(o.number) - v == p.number - number) return true;
    }
  }
  return false;
}

bool FurnitureDetector::CountsPages(int number, const Candidate& c, bool first) const {
  const int v = NumberValue(first ? c.first : c.last);
  if (v < 0) return false;
  for (const PageLines& p : window_) {
    if (p.number == number || std::abs(p.number - number) > kWindow) continue;
    for (const Candidate& o : p.lines) {
      if (o.top != c.top || std::abs(o.y - c.y) > kSameHeight || o.key != c.key) continue;
      const int w = NumberValue(first ? o.first : o.last);
      if (w >= 0 && w - v == p.number - number) return true;
    }
  }
  return false;
}

template <typename Agrees>
int FurnitureDetector::PagesCounting(int number, const Candidate& c, int value, bool number_first,
                                     Agrees agrees) const {
  int pages = 0;
  for (const PageLines& p : window_) {
    if (p.number == number || std::abs(p.number - number) > kWindow) continue;
    for (const Candidate& o : p.lines) {
      if (o.top != c.top || std::abs(o.y - c.y) > kSameHeight || !o.number.empty()) continue;
      const int w = NumberValue(number_first ? o.first : o.last);
      if (w >= 0 && w - value == p.number - number && agrees(o)) {
        ++pages;
        break;
      }
    }
  }
  return pages;
}

int FurnitureDetector::PagesCountedWithOtherText(int number, const Candidate& c, bool first, bool any_text) const {
  const int v = NumberValue(first ? c.first : c.last);
  if (v < 0) return 0;
  // The word at the other end, numbers masked ("3.2." and "3.3." agree).
  auto other_end = [first](const Candidate& k) {
    const std::string& w = first ? k.last : k.first;
    return MaskNumbers(w);
  };
  const std::string anchor = other_end(c);
  if (anchor.empty() || NumberValue(first ? c.last : c.first) >= 0) return 0;
  return PagesCounting(number, c, v, first, [&](const Candidate& o) { return any_text || other_end(o) == anchor; });
}

int FurnitureDetector::PagesMirrored(int number, const Candidate& c, bool first) const {
  const int v = NumberValue(first ? c.first : c.last);
  const std::string& rest = first ? c.without_first : c.without_last;
  if (v < 0 || rest.empty()) return 0;
  return PagesCounting(number, c, v, !first,
                       [&](const Candidate& o) { return (first ? o.without_last : o.without_first) == rest; });
}

std::string FurnitureDetector::Strip(int number, PageLayout& page, std::vector<std::string>* removed_text) {
  int pages_in_window = 0;
  for (const PageLines& p : window_) pages_in_window += std::abs(p.number - number) <= kWindow ? 1 : 0;
  // Repeated on two other pages nearby; in a document of three pages or
  // fewer, on one.
  const int needed = pages_in_window <= 3 ? 1 : 2;
  // The printed page number, best first: a bare number that counts the
  // pages with a neighbour's, a number in a running header that does, a
  // bare number alone (margin line numbers and table cells can be bare
  // numbers too).
  std::string counted_number, label, number_label;
  std::vector<OuterLine> outer;
  if (page.height > 0) outer = OuterLines(page, BandsOf(page));
  std::vector<const TextLine*> removed;
  // Furniture runs inwards from the page's edge: below a top line that is
  // not furniture (above a bottom one), a line is body, whatever repeats
  // (pdfmsym-doc's symbol tables hold the same rows at the same height on
  // four pages). Pieces of the edge row itself ("Chapter 2" beside "17")
  // are not held back by each other. A page number that counts the pages
  // with its neighbours' is one wherever it sits (l3pdfannot's code runs
  // past it to the foot of page 4).
  float top_body_y1 = -1, bottom_body_y0 = -1;  // the first non-furniture line from each edge
  for (const auto& [line, top, separated] : outer) {
    const std::string text = LineText(*line);
    std::string n;
    const bool page_number = IsPageNumberLine(text, &n);
    const bool inside = top ? (top_body_y1 >= 0 && line->y0 >= top_body_y1 - kSameHeight)
                            : (bottom_body_y0 >= 0 && line->y1 <= bottom_body_y0 + kSameHeight);
    if (inside && !(page_number && NumberCountsPages(number, top, line->y1, n))) continue;
    bool furniture = false;
    if (page_number) {
      furniture = true;
      if (number_label.empty()) number_label = n;
      if (counted_number.empty() && NumberCountsPages(number, top, line->y1, n)) counted_number = n;
    } else if (separated && !text.empty() && text.size() <= kMaxFurnitureBytes) {
      std::vector<std::string> words = FurnitureWords(text);
      Candidate c{top,
                  line->y1,
                  MaskNumbers(text),
                  MaskedCells(*line),
                  StripPunct(words.front()),
                  StripPunct(words.back()),
                  {},
                  MaskedWithout(words, true),
                  MaskedWithout(words, false)};
      // One other page is enough when the line's number counts the pages
      // (a header "The Arabi system 3" two pages before "... 5").
      const int matches = Matches(number, c);
      bool counts_last = matches >= 1 && CountsPages(number, c, false);
      bool counts_first = matches >= 1 && !counts_last && CountsPages(number, c, true);
      // A footer naming what each page holds ("File amsbook.def 2", then
      // "File artikel3.def 3"): its text changes every page, but the page
      // number at its end counts the pages.
      // The number must stand alone at its end: "..., page 561." in a
      // sentence is a cross-reference, whatever it happens to count.
      if (matches < needed && !counts_last && !counts_first && words.size() >= 2) {
        auto reference = [](const std::string& w) { return w == "page" || w == "p." || w == "pages" || w == "Page"; };
        counts_last = NumberValue(words.back()) >= 0 && !reference(words[words.size() - 2]) &&
                      PagesCountedWithOtherText(number, c, false, false) >= needed;
        counts_first = !counts_last && NumberValue(words.front()) >= 0 &&
                       PagesCountedWithOtherText(number, c, true, false) >= needed;
      }
      // A header naming each page's topic (R's reference manual: "458
      // proportions", two pages on "460 qr"): short, its number set apart by
      // a wide gap (not an index entry's "\nobrA: 40" nor a footnote's "14
      // but ..."), and counting the pages with the numbers at that end of
      // two lines at its place.
      if (matches < needed && !counts_last && !counts_first && words.size() >= 2 &&
          words.size() <= kMaxTopicHeaderWords && c.cells.size() >= 2) {
        counts_last = c.cells.back() == "#" && NumberValue(words.back()) >= 0 &&
                      PagesCountedWithOtherText(number, c, false, true) >= 2;
        counts_first = !counts_last && c.cells.front() == "#" && NumberValue(words.front()) >= 0 &&
                       PagesCountedWithOtherText(number, c, true, true) >= 2;
      }
      // A two-sided header of a section that spans two pages: "12 5. How to
      // use AMSFonts" on the left page, "5. How to use AMSFonts 13" on the
      // right; the page number changes ends, and it counts the pages.
      if (matches < needed && !counts_last && !counts_first && words.size() >= 2) {
        counts_first = PagesMirrored(number, c, true) >= 1;
        counts_last = !counts_first && PagesMirrored(number, c, false) >= 1;
      }
      if (matches >= needed || counts_last || counts_first) {
        furniture = true;
        if (label.empty() && counts_last) label = c.last;
        if (label.empty() && counts_first) label = c.first;
      }
    }
    if (furniture) {
      removed.push_back(line);
      if (removed_text) removed_text->push_back(text);
    } else if (top && top_body_y1 < 0) {
      top_body_y1 = line->y1;
    } else if (!top && bottom_body_y0 < 0) {
      bottom_body_y0 = line->y0;
    }
  }
  // A navigation column: enough side-strip lines, each at the same place
  // with the same text on `needed` slides nearby, in a column of their own
  // (no other line of the slide reaches into it: a short list at the left
  // margin that overlays repeat lines up with the longer lines of the body).
  // Lines of the strip already removed as a header or footer belong to it.
  std::vector<const TextLine*> side;
  for (const TextLine* line : SideStripLines(page, kSlideSideBand)) {
    if (std::find(removed.begin(), removed.end(), line) != removed.end()) {
      side.push_back(line);
      continue;
    }
    const std::string key = LineText(*line);
    if (key.empty()) continue;
    auto same = [&](const SideLine& o) {
      return o.key == key && std::abs(o.x - line->x0) <= kSameHeight && std::abs(o.y - line->y1) <= kSameHeight;
    };
    int seen = 0;
    bool recorded = false;  // Add() kept it (small enough) on this page
    for (const PageLines& p : window_) {
      if (std::abs(p.number - number) > kWindow) continue;
      const bool here = std::any_of(p.side.begin(), p.side.end(), same);
      if (p.number == number) recorded = here;
      else seen += here ? 1 : 0;
    }
    if (recorded && seen >= needed) side.push_back(line);
  }
  bool column = static_cast<int>(side.size()) >= kMinSideLines;
  if (column) {
    float cx0 = side.front()->x0, cx1 = side.front()->x1;
    for (const TextLine* l : side) cx0 = std::min(cx0, l->x0), cx1 = std::max(cx1, l->x1);
    for (const TextBlock& b : page.blocks)
      for (const TextLine& l : b.lines) {
        if (std::find(side.begin(), side.end(), &l) != side.end() ||
            std::find(removed.begin(), removed.end(), &l) != removed.end())
          continue;
        if (l.x0 < cx1 && l.x1 > cx0) column = false;
      }
  }
  if (column) {
    for (const TextLine* line : side) {
      if (std::find(removed.begin(), removed.end(), line) != removed.end()) continue;
      removed.push_back(line);
      if (removed_text) removed_text->push_back(LineText(*line));
    }
  }
  for (TextBlock& block : page.blocks) {
    std::vector<TextLine> kept;
    for (TextLine& line : block.lines) {
      if (std::find(removed.begin(), removed.end(), &line) == removed.end()) kept.push_back(std::move(line));
    }
    block.lines = std::move(kept);
    if (!block.lines.empty()) {
      block.y0 = block.lines.front().y0;
      block.y1 = block.lines.back().y1;
      for (const TextLine& l : block.lines)
        block.y0 = std::min(block.y0, l.y0), block.y1 = std::max(block.y1, l.y1);
    }
  }
  page.blocks.erase(std::remove_if(page.blocks.begin(), page.blocks.end(),
                                   [](const TextBlock& b) { return b.lines.empty(); }),
                    page.blocks.end());
  while (!window_.empty() && window_.front().number < number - kWindow + 1) window_.pop_front();
  if (!counted_number.empty()) return counted_number;
  return label.empty() ? number_label : label;
}

}  // namespace docpipe
