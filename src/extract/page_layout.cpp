#include "extract/page_layout.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "extract/headings.h"
#include "extract/markdown_writer.h"
#include "extract/tables.h"
#include "extract/text_normalizer.h"

namespace docpipe {
namespace {

// Size ratios (to body text) from which a block is a heading of level 1..3.
constexpr float kLevel1Ratio = 1.6f;
constexpr float kLevel2Ratio = 1.3f;
constexpr float kLevel3Ratio = 1.12f;
constexpr size_t kMaxHeadingBytes = 160;

struct BlockStyle {
  float size = 0;  // size carrying most characters
  float bold_fraction = 0;
  float mono_fraction = 0;
  int chars = 0;
};

// Whether the line is a numbered line of a listing: a number of its own (in
// any font: docstrip sets it in the prose font), then monospaced text.
bool IsNumberedCodeLine(const TextLine& line) {
  if (line.spans.size() < 2 || !line.spans[1].mono) return false;
  const std::string& first = line.spans[0].text;
  size_t b = first.find_first_not_of(' '), e = first.find_last_not_of(' ');
  if (b == std::string::npos || e - b + 1 > 6) return false;
  for (size_t i = b; i <= e; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(first[i]))) return false;
  }
  for (size_t i = 1; i < line.spans.size(); ++i) {
    if (!line.spans[i].mono) return false;
  }
  return true;
}

BlockStyle StyleOf(const TextBlock& block) {
  std::map<int, int> by_size;
  int bold = 0, mono = 0, total = 0;
  for (const TextLine& line : block.lines) {
    const bool numbered_code = IsNumberedCodeLine(line);
    for (const TextSpan& span : line.spans) {
      by_size[static_cast<int>(std::lround(span.size * 2))] += span.chars;
      if (span.bold) bold += span.chars;
      if (span.mono || numbered_code) mono += span.chars;
      total += span.chars;
    }
  }
  BlockStyle style;
  int best = -1;
  for (const auto& [half_points, n] : by_size) {
    if (n > best) best = n, style.size = half_points / 2.0f;
  }
  if (total > 0) {
    style.bold_fraction = static_cast<float>(bold) / total;
    style.mono_fraction = static_cast<float>(mono) / total;
  }
  style.chars = total;
  return style;
}

std::string TrimLayoutBlanks(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

// Cells are spans grouped between wide gaps.
std::vector<std::string> CellsOf(const TextLine& line, std::vector<std::pair<float, float>>* x_ranges) {
  std::vector<std::string> cells;
  for (const TextSpan& span : line.spans) {
    if (cells.empty() || span.gap_before) {
      cells.emplace_back();
      if (x_ranges) x_ranges->push_back({span.x0, span.x1});
    } else if (x_ranges) {
      x_ranges->back().second = span.x1;
    }
    cells.back() += span.text;  // word spaces travel inside the spans
  }
  for (std::string& c : cells) c = TrimLayoutBlanks(c);
  return cells;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Appends a wrapped line to a paragraph, undoing end-of-line hyphenation
// ("exam-" + "ple") when a letter precedes the hyphen and a lowercase letter
// follows; compounds broken at their own hyphen ("state-of-the-" + "art")
// lose it too, the usual price of this heuristic.
void JoinLine(std::string& para, const std::string& next) {
  if (next.empty()) return;
  if (para.empty()) {
    para.append(next);
    return;
  }
  size_t hyphen_len = 0;
  if (EndsWith(para, "-")) hyphen_len = 1;
  if (EndsWith(para, "\xC2\xAD")) hyphen_len = 2;  // U+00AD soft hyphen
  if (hyphen_len > 0 && para.size() > hyphen_len && std::islower(static_cast<unsigned char>(next[0]))) {
    unsigned char before = para[para.size() - hyphen_len - 1];
    if (std::isalpha(before) || before >= 0x80) {
      para.replace(para.size() - hyphen_len, hyphen_len, next);
      return;
    }
  }
  if (JoinsWithoutSpace(para, next)) {  // Chinese/Japanese: a line break is no word space
    para += next;
    return;
  }
  para += ' ';
  para += next;
}

std::string StripSoftHyphens(std::string s) {
  size_t pos;
  while ((pos = s.find("\xC2\xAD")) != std::string::npos) s.erase(pos, 2);
  return s;
}

// "• item", "- item", "1. item", "2) item" -> the Markdown marker and the rest.
bool ParseListItem(const std::string& text, std::string* marker, std::string* rest) {
  static const char* const kBullets[] = {"\xE2\x80\xA2", "\xE2\x97\xA6", "\xE2\x96\xAA", "\xE2\x80\xA3",
                                         "\xE2\x88\x99", "\xC2\xB7",     "\xE2\x80\x93", "\xE2\x80\x94", "-", "*"};
  for (const char* b : kBullets) {
    size_t n = std::strlen(b);
    if (text.size() > n + 1 && text.compare(0, n, b) == 0 && text[n] == ' ') {
      *marker = "- ";
      *rest = TrimLayoutBlanks(text.substr(n + 1));
      return true;
    }
  }
  size_t digits = 0;
  while (digits < text.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits > 0 && digits + 2 < text.size() && (text[digits] == '.' || text[digits] == ')') &&
      text[digits + 1] == ' ') {
    *marker = text.substr(0, digits) + ". ";
    *rest = TrimLayoutBlanks(text.substr(digits + 2));
    return true;
  }
  return false;
}


// A block whose lines fall into two or more shared columns is a table.
bool RenderTable(const TextBlock& block, std::string* out) {
  std::vector<const TextLine*> lines;
  for (const TextLine& l : block.lines) lines.push_back(&l);
  return RenderAlignedTable(lines, kCellGapEm, out);
}

bool HasWideGaps(const TextBlock& block) {
  int lines_with_gaps = 0;
  for (const TextLine& line : block.lines) {
    for (size_t i = 1; i < line.spans.size(); ++i) {
      if (line.spans[i].gap_before) {
        ++lines_with_gaps;
        break;
      }
    }
  }
  return lines_with_gaps >= 2;
}

// Paragraphs and list items of a block. A new paragraph starts at a first
// line indented by about 1-5 em (TeX style) or after a line that ends a
// sentence well short of the right edge.
std::string RenderProse(const TextBlock& block, float size) {
  std::vector<std::string> parts;
  std::string current;
  bool in_list = false;
  // List items are protected after their marker, when they start.
  auto flush = [&] {
    if (!current.empty()) parts.push_back(in_list ? StripSoftHyphens(current) : ProtectBlockStart(StripSoftHyphens(current)));
    current.clear();
  };
  const float em = size > 0 ? size : 10;
  for (size_t i = 0; i < block.lines.size(); ++i) {
    const TextLine& line = block.lines[i];
    std::string text = LineText(line);
    if (text.empty()) continue;
    std::string marker, rest;
    if ((i == 0 || in_list) && ParseListItem(text, &marker, &rest)) {
      flush();
      in_list = true;
      current = marker + ProtectBlockStart(std::move(rest));
      continue;
    }
    if (i > 0 && !in_list) {
      const TextLine& prev = block.lines[i - 1];
      float indent = line.x0 - block.x0;
      bool indented = indent > 0.8f * em && indent < 5 * em;
      bool prev_short = prev.x1 < block.x1 - 3 * em &&
                        (EndsWith(current, ".") || EndsWith(current, ":") || EndsWith(current, "?"));
      if (indented || prev_short) flush();
    }
    JoinLine(current, text);
  }
  flush();
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += in_list ? "\n" : "\n\n";
    out += p;
  }
  return out;
}

// Code keeps its line breaks and approximate indentation (in character cells),
// at most kMaxCodeIndent cells: a hostile page of tiny text spread wide would
// otherwise turn each line into thousands of spaces.
constexpr int kMaxCodeIndent = 80;

// `width` in character cells of `cell` points, rounded, within [least, kMaxCodeIndent].
int CodeCells(float width, float cell, int least) {
  const float cells = cell > 0 ? width / cell : 0;
  if (!(cells > static_cast<float>(least))) return least;  // NaN too
  if (cells >= static_cast<float>(kMaxCodeIndent)) return kMaxCodeIndent;
  return std::max(least, static_cast<int>(std::lround(cells)));
}

struct CodeLine {
  float x0;
  float cell;
  std::string text;
};

// Width of a character cell of the line's code: its monospaced font's (a line
// number before it may be smaller).
float CodeCell(const TextLine& line) {
  float size = line.spans.empty() ? 10 : line.spans[0].size;
  for (const TextSpan& span : line.spans) {
    if (span.mono) {
      size = span.size;
      break;
    }
  }
  return 0.6f * size;
}

void CollectCode(const TextBlock& block, std::vector<CodeLine>* code) {
  for (const TextLine& line : block.lines) {
    std::string text;
    const float cell = CodeCell(line);
    float last_x1 = line.x0;
    for (const TextSpan& span : line.spans) {
      if (!text.empty() && span.gap_before) {
        const int spaces = CodeCells(span.x0 - last_x1, cell, 1);
        text.append(static_cast<size_t>(spaces), ' ');
      }
      text += span.text;
      last_x1 = span.x1;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    code->push_back({line.x0, cell, text});
  }
}

std::string RenderCode(const std::vector<CodeLine>& code) {
  // Indentation counts from the leftmost edge that two lines share: a
  // single line further left (a macro's name in the margin) starts at 0
  // without pushing every other line right.
  std::vector<float> edges;
  edges.reserve(code.size());
  for (const CodeLine& l : code) edges.push_back(l.x0);
  std::sort(edges.begin(), edges.end());
  float left = edges.front();
  for (size_t i = 1; i < edges.size(); ++i) {
    if (edges[i] - edges[i - 1] <= 1) {
      left = edges[i - 1];
      break;
    }
  }
  std::string out = "```\n";
  for (const CodeLine& l : code) {
    out.append(static_cast<size_t>(CodeCells(l.x0 - left, l.cell, 0)), ' ');
    out += l.text;
    out += '\n';
  }
  out += "```";
  return out;
}

float LineSize(const TextLine& line) { return line.spans.empty() ? 10 : line.spans.front().size; }

struct LineLook {
  float size = 0;
  bool bold = false;  // all bold
  bool mono = false;  // all monospaced
};

// Dominant size of a line and whether it is all bold / all monospaced.
LineLook LineStyle(const TextLine& line) {
  LineLook look;
  int best = 0, bold = 0, mono = 0, total = 0;
  for (const TextSpan& s : line.spans) {
    if (s.chars > best) best = s.chars, look.size = s.size;
    bold += s.bold ? s.chars : 0;
    mono += s.mono ? s.chars : 0;
    total += s.chars;
  }
  look.bold = total > 0 && bold == total;
  look.mono = total > 0 && mono == total;
  return look;
}

// At least 80 % of the line's characters in a monospaced font (code with a
// symbol from another font, such as a line-continuation arrow).
bool MostlyMonospaced(const TextLine& line) {
  int mono = 0, total = 0;
  for (const TextSpan& s : line.spans) {
    mono += s.mono ? s.chars : 0;
    total += s.chars;
  }
  return total > 0 && mono * 5 >= total * 4;
}

bool IsBareNumber(const TextLine& line) {
  bool digit = false;
  for (const TextSpan& s : line.spans) {
    for (char c : s.text) {
      if (c >= '0' && c <= '9') {
        digit = true;
      } else if (c != ' ') {
        return false;
      }
    }
  }
  return digit;
}

// The leading line number of a code line ("163   \\foo"), or -1.
long LeadingLineNumber(const std::string& text) {
  size_t i = text.find_first_not_of(' ');
  if (i == std::string::npos || !std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
  long n = 0;
  for (size_t digits = 0; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (++digits > 6) return -1;
    n = n * 10 + (text[i] - '0');
  }
  return i == text.size() || text[i] == ' ' ? n : -1;
}

// A numbered listing's empty line is its number alone, between the line
// before it in the listing and, at the top of a page, the code after it: it
// belongs in the fence. Returns the character cell of the listing's code, or
// 0 when `block` is no such line.
float EmptyListingLineCell(const TextBlock& block, const std::vector<CodeLine>& code, const TextBlock* next,
                           bool next_is_code) {
  if (block.lines.size() != 1) return 0;
  const std::string text = TrimLayoutBlanks(LineText(block.lines[0]));
  const long number = text.find(' ') == std::string::npos ? LeadingLineNumber(text) : -1;
  if (number < 0) return 0;
  if (!code.empty()) {
    const long previous = LeadingLineNumber(code.back().text);
    return previous >= 0 && previous + 1 == number ? code.back().cell : 0;
  }
  if (next == nullptr || !next_is_code || next->lines.empty()) return 0;
  return LeadingLineNumber(LineText(next->lines[0])) == number + 1 ? CodeCell(next->lines[0]) : 0;
}

// Whether `right` continues `left` on one baseline. The boxes' bottoms decide
// first, as they always have. Where they differ (a descending symbol, another
// font), the baselines may still say yes (a line of code and its small line
// number, a contents entry and its number, a formula and its equation
// number), except for pieces that are better kept apart: a run-in bold or
// larger heading and its text (the heading would be lost), and a bare
// number beside prose (lineno's margin numbers; a bare number beside code
// is its line number and stays).
bool SameBaseline(const TextLine& left, const TextLine& right, float size) {
  if (std::abs(left.y1 - right.y1) < 0.3f * size) return true;
  if (left.baseline <= 0 || right.baseline <= 0 || std::abs(left.baseline - right.baseline) >= 0.15f * size) {
    return false;
  }
  const LineLook l = LineStyle(left), r = LineStyle(right);
  if ((l.bold && !r.bold) || l.size > 1.15f * r.size) return false;
  if (IsBareNumber(left) && !MostlyMonospaced(right)) return false;
  if (IsBareNumber(right) && !MostlyMonospaced(left)) return false;
  return true;
}

// Appends `line` to `last` when it continues it on the same baseline further
// right; returns whether it did.
bool FoldIntoLine(TextLine& last, TextLine& line) {
  const float size = LineSize(line);
  if (!SameBaseline(last, line, size) || line.x0 < last.x1 - 1) return false;
  const bool gap = line.x0 - last.x1 > kCellGapEm * size;
  if (!gap && !last.spans.empty()) last.spans.back().text += ' ';
  line.spans.front().gap_before = gap;
  line.spans.front().gap = (line.x0 - last.x1) / std::max(1.0f, size);
  for (TextSpan& s : line.spans) last.spans.push_back(std::move(s));
  last.x1 = line.x1;
  return true;
}

// A heading set directly above its text often shares one MuPDF block with
// it. Moves the leading lines of `b` into their own block (appended to
// `out`) wherever the size or boldness changes, leaving the rest in `b`.
void SplitAtStyleChanges(TextBlock& b, std::vector<TextBlock>& out) {
  size_t start = 0;
  for (size_t i = 1; i < b.lines.size(); ++i) {
    const LineLook prev = LineStyle(b.lines[i - 1]);
    const LineLook cur = LineStyle(b.lines[i]);
    // A whole line in a monospaced font among prose is an example of its own.
    if (std::abs(cur.size - prev.size) <= 0.1f * std::max(cur.size, prev.size) && cur.bold == prev.bold &&
        cur.mono == prev.mono) {
      continue;
    }
    TextBlock head;
    for (size_t k = start; k < i; ++k) head.lines.push_back(std::move(b.lines[k]));
    head.x0 = b.x0, head.x1 = b.x1, head.y0 = head.lines.front().y0, head.y1 = head.lines.back().y1;
    out.push_back(std::move(head));
    start = i;
  }
  b.lines.erase(b.lines.begin(), b.lines.begin() + static_cast<std::ptrdiff_t>(start));
  if (!b.lines.empty()) b.y0 = b.lines.front().y0;
}

// MuPDF starts a new line, often a new block, when text on one baseline jumps
// far to the right (table cells, "1.2   Title" in a contents list). Such
// pieces are folded back into one line whose spans mark the gaps.
void MergeSameBaseline(std::vector<TextBlock>& blocks) {
  std::vector<TextBlock> out;
  for (TextBlock& b : blocks) {
    std::vector<TextLine> lines;
    for (TextLine& line : b.lines) {
      if (line.spans.empty()) continue;
      if (lines.empty() || !FoldIntoLine(lines.back(), line)) lines.push_back(std::move(line));
    }
    b.lines = std::move(lines);
    if (b.lines.empty()) continue;
    SplitAtStyleChanges(b, out);
    if (b.lines.empty()) continue;
    if (!out.empty() && b.lines.size() == 1 && FoldIntoLine(out.back().lines.back(), b.lines.front())) {
      out.back().x1 = std::max(out.back().x1, b.x1);
      continue;
    }
    out.push_back(std::move(b));
  }
  blocks = std::move(out);
}

bool AllLinesHaveCells(const TextBlock& block) {
  for (const TextLine& line : block.lines) {
    bool cells = false;
    for (size_t i = 1; i < line.spans.size() && !cells; ++i) cells = line.spans[i].gap_before;
    if (!cells) return false;
  }
  return !block.lines.empty();
}

// Table rows often come as one block each; vertically adjacent blocks whose
// every line splits into cells are joined so the grid can be seen whole.
void MergeTableRows(std::vector<TextBlock>& blocks) {
  std::vector<TextBlock> out;
  for (TextBlock& b : blocks) {
    if (!out.empty() && AllLinesHaveCells(b) && AllLinesHaveCells(out.back())) {
      TextBlock& a = out.back();
      const float size = LineSize(b.lines.front());
      if (b.y0 >= a.y1 - 0.5f * size && b.y0 - a.y1 < 1.5f * size) {
        for (TextLine& l : b.lines) a.lines.push_back(std::move(l));
        a.x0 = std::min(a.x0, b.x0);
        a.x1 = std::max(a.x1, b.x1);
        a.y1 = std::max(a.y1, b.y1);
        continue;
      }
    }
    out.push_back(std::move(b));
  }
  blocks = std::move(out);
}

}  // namespace

void FontSizeStats::Add(const PageLayout& page) {
  for (const TextBlock& block : page.blocks)
    for (const TextLine& line : block.lines)
      for (const TextSpan& span : line.spans)
        if (!span.mono) chars_by_half_point_[static_cast<int>(std::lround(span.size * 2))] += span.chars;
}

float FontSizeStats::BodySize() const {
  int64_t best = 0;
  float size = 0;
  for (const auto& [half_points, n] : chars_by_half_point_) {
    if (n > best) best = n, size = half_points / 2.0f;
  }
  return size;
}

std::string LineText(const TextLine& line) {
  // Most lines are one cell: their spans' text, without building the cells.
  if (std::none_of(line.spans.begin() + (line.spans.empty() ? 0 : 1), line.spans.end(),
                   [](const TextSpan& span) { return span.gap_before; })) {
    std::string text;
    for (const TextSpan& span : line.spans) text += span.text;
    return TrimLayoutBlanks(text);
  }
  std::string out;
  for (const std::string& cell : CellsOf(line, nullptr)) {
    if (cell.empty()) continue;
    if (!out.empty()) out += ' ';
    out += cell;
  }
  return out;
}

void NormalizeLines(PageLayout& page) { MergeSameBaseline(page.blocks); }

namespace {

// The first of a line's cells when a wide gap parts it from others (empty
// otherwise), and the others after it.
std::string LeadingCell(const TextLine& line, std::string* rest) {
  std::vector<std::string> cells = CellsOf(line, nullptr);
  cells.erase(std::remove(cells.begin(), cells.end(), std::string()), cells.end());
  if (cells.size() < 2) return {};
  rest->clear();
  for (size_t k = 1; k < cells.size(); ++k) {
    if (!rest->empty()) *rest += ' ';
    *rest += cells[k];
  }
  return cells.front();
}


bool Inside(const TextLine& l, const Box& b) {
  return l.x0 >= b.x0 - 2 && l.x1 <= b.x1 + 2 && l.y0 >= b.y0 - 2 && l.y1 <= b.y1 + 2;
}

// Program text rather than prose: most lines carry code punctuation or a
// prompt, and few end like sentences.
bool LooksLikeCode(const TextBlock& block) {
  int code = 0, sentences = 0;
  for (const TextLine& l : block.lines) {
    const std::string t = LineText(l);
    if (t.find_first_of(";{}=<>()[]$#\\/") != std::string::npos || t.rfind(">>", 0) == 0) ++code;
    if (EndsWith(t, ".") && std::count(t.begin(), t.end(), ' ') >= 4) ++sentences;
  }
  const int n = static_cast<int>(block.lines.size());
  return code * 2 >= n && sentences * 3 < n;
}

// Splits blocks where lines enter or leave a shaded or framed box, and marks
// the boxed parts that hold code (monospaced, or code-like in a shaded box;
// on slides boxes hold prose, so only monospaced text counts there).
void MarkBoxedCode(PageLayout& page, bool slides) {
  if (page.boxes.empty()) return;
  std::vector<TextBlock> out;
  std::vector<int> box_of;  // parallel to out: the box holding the block, -1 none
  auto area = [](const Box& b) { return (b.x1 - b.x0) * (b.y1 - b.y0); };
  for (TextBlock& b : page.blocks) {
    if (!b.markdown.empty()) {
      out.push_back(std::move(b));
      box_of.push_back(-1);
      continue;
    }
    bool first = true;
    for (TextLine& l : b.lines) {
      int box = -1;  // the innermost box around the line
      for (size_t k = 0; k < page.boxes.size(); ++k) {
        const Box& bx = page.boxes[k];
        if (bx.filled && bx.lightness <= 0.45f) continue;  // dark fills carry light text: not code shading
        if (Inside(l, bx) && (box < 0 || area(bx) < area(page.boxes[box]))) box = static_cast<int>(k);
      }
      if (first || box != box_of.back()) {
        TextBlock nb;
        nb.x0 = b.x0, nb.x1 = b.x1, nb.y0 = l.y0, nb.y1 = l.y1;
        out.push_back(std::move(nb));
        box_of.push_back(box);
        first = false;
      }
      out.back().y1 = l.y1;
      out.back().lines.push_back(std::move(l));
    }
  }
  // Code or not is decided per box, over all its lines.
  for (size_t k = 0; k < page.boxes.size(); ++k) {
    TextBlock all;
    int mono = 0, total = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (box_of[i] != static_cast<int>(k)) continue;
      for (const TextLine& l : out[i].lines) {
        all.lines.push_back(l);
        for (const TextSpan& s : l.spans) mono += s.mono ? s.chars : 0, total += s.chars;
      }
    }
    if (total == 0) continue;
    const bool code = mono * 2 >= total || (!slides && LooksLikeCode(all));
    for (size_t i = 0; i < out.size(); ++i) {
      if (box_of[i] == static_cast<int>(k)) out[i].code = code;
    }
  }
  page.blocks = std::move(out);
}

// With an outline, a heading set in the font of its neighbours shares their
// block: the block is split around each line that is an outline title.
void SplitAtOutlineTitles(PageLayout& page, const OutlineIndex& outline, int page_number) {
  std::vector<TextBlock> out;
  for (TextBlock& b : page.blocks) {
    if (b.lines.size() < 2 || !b.markdown.empty()) {
      out.push_back(std::move(b));
      continue;
    }
    std::string whole;
    for (const TextLine& l : b.lines) JoinLine(whole, LineText(l));
    if (outline.Has(page_number, whole)) {
      out.push_back(std::move(b));
      continue;
    }
    TextBlock cur;
    auto flush = [&] {
      if (cur.lines.empty()) return;
      cur.x0 = b.x0, cur.x1 = b.x1, cur.y0 = cur.lines.front().y0, cur.y1 = cur.lines.back().y1;
      cur.code = b.code;
      out.push_back(std::move(cur));
      cur = TextBlock();
    };
    for (TextLine& l : b.lines) {
      if (outline.Has(page_number, LineText(l))) {
        flush();
        cur.lines.push_back(std::move(l));
        flush();
      } else {
        cur.lines.push_back(std::move(l));
      }
    }
    flush();
  }
  page.blocks = std::move(out);
}

bool AllCaps(const std::string& text) {
  int upper = 0, lower = 0;
  for (unsigned char c : text) upper += std::isupper(c) ? 1 : 0, lower += std::islower(c) ? 1 : 0;
  return upper >= 2 && lower == 0;
}

// An e-mail address on a line of its own.
bool IsContactLine(const TextBlock& block) {
  if (block.lines.size() != 1) return false;
  const std::string text = LineText(block.lines.front());
  const size_t at = text.find('@');
  return at != std::string::npos && at > 0 && text.find('.', at) != std::string::npos && text.size() <= 80 &&
         text.find(' ') == std::string::npos;
}

// A bulleted item and a lone lower-case letter (a diagram's label) are no
// headings, whatever their size.
bool IsBulletOrLabel(const std::string& text) {
  std::string marker, rest;
  if (ParseListItem(text, &marker, &rest) && marker == "- ") return true;
  return text.size() == 1 && std::islower(static_cast<unsigned char>(text[0]));
}

// The slide's title: the largest text in the top third (larger than body
// text, or bold), not furniture (already gone) and not garbage.
int SlideTitleBlock(const PageLayout& page, float body_size) {
  int best = -1;
  float best_size = 0;
  for (size_t i = 0; i < page.blocks.size(); ++i) {
    const TextBlock& b = page.blocks[i];
    if (b.lines.empty() || b.y0 > page.height * 0.35f || b.lines.size() > 3) continue;
    const BlockStyle st = StyleOf(b);
    if (st.mono_fraction > 0.5f) continue;
    const bool prominent = st.size >= 1.1f * body_size || st.bold_fraction > 0.9f;
    if (!prominent) continue;
    if (st.size > best_size + 0.5f) best = static_cast<int>(i), best_size = st.size;
  }
  return best;
}

}  // namespace

int MarkdownRenderer::HeadingLevel(const TextBlock& block, float body_size, const std::string& text,
                                   int page_number, std::string* lead_title, std::string* lead_rest) {
  if (body_size <= 0 || text.empty() || text.size() > kMaxHeadingBytes || block.lines.size() > 3) return 0;
  const BlockStyle style = StyleOf(block);
  // Mostly monospaced text is code, unless it is set larger than the body
  // ("7.4 ilineno": a package's name in typewriter type) or is an outline title.
  if (style.mono_fraction > 0.5f && style.size < kLevel3Ratio * body_size &&
      !IsMonospacedOutlineTitle(block, page_number))
    return 0;
  if (!std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isalpha(c) || c >= 0x80; }))
    return 0;
  bool gap_before_last = false;
  const TextLine& last_line = block.lines.back();
  if (last_line.spans.size() > 1) gap_before_last = last_line.spans.back().gap_before;
  auto rejected = [&] {
    return LooksLikeGarbage(text) || LooksLikeTocEntry(text, gap_before_last) || LooksLikeCaption(text);
  };
  // With an outline, only its titles qualify (the cheap test first); an item
  // of a list that repeats a title ("— numeric expressions;" before "3.1
  // Numeric expressions") does not use it up.
  if (outline_ != nullptr && outline_->Usable()) {
    std::string title = text, rest;
    if (!outline_->Has(page_number, title)) {
      // "abbreviate      Abbreviate Strings": an entry of a reference manual
      // (R's), its name as the outline has it, then, after a wide gap, what
      // it does; "3.2 Character protrusion      pdfTEX 0.14f | LuaTEX 0.30"
      // (microtype's engines). The heading is the title; the rest is text.
      title = block.lines.size() == 1 ? LeadingCell(block.lines[0], &rest) : std::string();
      const int entry = title.empty() ? -1 : outline_->Entry(page_number, title);
      if (entry < 0 || std::count(entries_of_whole_blocks_.begin(), entries_of_whole_blocks_.end(), entry) > 0)
        return 0;
    }
    if (rejected()) return 0;
    if (IsBulletOrLabel(text) || EndsWith(text, ",") || EndsWith(text, ";")) return 0;
    const int level = std::min(6, outline_->Match(page_number, title));
    if (level > 0 && !rest.empty()) {
      *lead_title = title;
      *lead_rest = rest;
    }
    return level;
  }
  if (rejected()) return 0;
  if (LooksLikeAuthorList(text)) return 0;
  if (IsBulletOrLabel(text)) return 0;
  const HeadingNumber number = ParseHeadingNumber(text);
  const float ratio = style.size / body_size;
  const size_t words = static_cast<size_t>(std::count(text.begin(), text.end(), ' ')) + 1;
  const bool sentence = EndsWith(text, ",") || EndsWith(text, ";") || (EndsWith(text, ".") && words > 3) ||
                        (EndsWith(text, ":") && words > 6);
  const bool single = block.lines.size() == 1;
  bool candidate = false;
  if (ratio >= kLevel3Ratio && !sentence) candidate = true;
  // Bold body-size lines standing alone ("Synopsis", "Returns") are run-in
  // subheads; a sentence set in bold is emphasis, not a heading.
  if (ratio > 0.95f && style.bold_fraction > 0.9f && single && text.size() <= 80 && !sentence) candidate = true;
  // "1. INTRODUCTION" at body size: numbered and set apart by weight, size or capitals.
  if (number.depth > 0 && single && !sentence && text.size() <= 100 &&
      (style.bold_fraction > 0.5f || ratio >= 1.05f || AllCaps(text.substr(number.title_start))))
    candidate = true;
  if (!candidate) return 0;
  const int key = static_cast<int>(std::lround(style.size * 2)) * 2 + (style.bold_fraction > 0.5f ? 1 : 0);
  if (number.depth > 0) {
    const int level = std::min(6, number.depth);
    level_by_style_.try_emplace(key, level);
    return level;
  }
  if (auto it = level_by_style_.find(key); it != level_by_style_.end()) return it->second;
  if (ratio >= kLevel1Ratio) return 1;
  if (ratio >= kLevel2Ratio) return 2;
  if (ratio >= kLevel3Ratio) return 3;
  return 4;
}

// A title of the outline set in a monospaced font ("lwarp-tabfigures.sty",
// an R manual's "frame()") is a heading, not code. A block inside a code
// box stays code.
bool MarkdownRenderer::IsMonospacedOutlineTitle(const TextBlock& block, int page_number) const {
  if (outline_ == nullptr || !outline_->Usable() || block.code || block.lines.size() > 3) return false;
  std::string joined;
  for (const TextLine& line : block.lines) JoinLine(joined, LineText(line));
  return outline_->Has(page_number, joined);
}

PageMarkdown MarkdownRenderer::Render(PageLayout page, float body_size, int page_number) {
  ExtractRuledTables(page);
  MarkBoxedCode(page, slides_);
  if (outline_ != nullptr && outline_->Usable()) SplitAtOutlineTitles(page, *outline_, page_number);
  MergeTableRows(page.blocks);
  entries_of_whole_blocks_.clear();
  if (!slides_ && outline_ != nullptr && outline_->Usable()) {
    for (const TextBlock& block : page.blocks) {
      if (!block.markdown.empty() || block.lines.empty() || block.lines.size() > 3) continue;
      std::string joined;
      for (const TextLine& line : block.lines) JoinLine(joined, LineText(line));
      if (const int entry = outline_->Entry(page_number, StripSoftHyphens(joined)); entry >= 0)
        entries_of_whole_blocks_.push_back(entry);
    }
  }
  PageMarkdown result;
  std::vector<std::string> parts;
  std::vector<CodeLine> code;  // consecutive monospace blocks share one fence
  auto flush_code = [&] {
    if (!code.empty()) parts.push_back(RenderCode(code));
    code.clear();
  };
  auto add_heading = [&](int level, const std::string& text) {
    parts.push_back(std::string(static_cast<size_t>(level), '#') + ' ' + text);
    result.headings.push_back({level, text, page_number});
  };
  const int title_block = slides_ ? SlideTitleBlock(page, body_size) : -1;
  const int slide_level = outline_ != nullptr && outline_->Usable() ? std::min(6, outline_->MaxLevel() + 1) : 1;
  std::string pending_unit;  // "Chapter 3" waiting for its title on the next block
  auto is_code = [&](const TextBlock& b, const BlockStyle& st) {
    return (b.code || st.mono_fraction > 0.8f) && !IsMonospacedOutlineTitle(b, page_number);
  };
  for (size_t bi = 0; bi < page.blocks.size(); ++bi) {
    const TextBlock& block = page.blocks[bi];
    if (!block.markdown.empty()) {
      flush_code();
      parts.push_back(block.markdown);
      continue;
    }
    BlockStyle style = StyleOf(block);
    if (style.chars == 0) continue;
    if (is_code(block, style)) {
      CollectCode(block, &code);
      continue;
    }
    if (block.lines.size() == 1 && IsBareNumber(block.lines[0])) {
      const TextBlock* next = bi + 1 < page.blocks.size() ? &page.blocks[bi + 1] : nullptr;
      const bool next_is_code = next != nullptr && next->markdown.empty() && is_code(*next, StyleOf(*next));
      if (float cell = EmptyListingLineCell(block, code, next, next_is_code); cell > 0) {
        code.push_back({block.lines[0].x0, cell, TrimLayoutBlanks(LineText(block.lines[0]))});
        continue;
      }
    }
    flush_code();
    std::string md;
    if (RenderTable(block, &md)) {
      parts.push_back(std::move(md));
      continue;
    }
    if (HasWideGaps(block)) {  // columns, but not a clean grid: keep the lines
      for (const TextLine& line : block.lines) {
        if (!md.empty()) md += '\n';
        md += ProtectBlockStart(LineText(line));
      }
      parts.push_back(std::move(md));
      continue;
    }
    std::string joined;
    for (const TextLine& line : block.lines) JoinLine(joined, LineText(line));
    joined = StripSoftHyphens(joined);
    int level = 0;
    std::string lead_title, lead_rest;  // a heading that is the line's first cell only
    if (slides_) {
      if (static_cast<int>(bi) == title_block && !LooksLikeGarbage(joined) && !IsBulletOrLabel(joined)) {
        level = slide_level;
      }
      if (outline_ != nullptr && outline_->Usable() && block.lines.size() <= 3) {
        if (int l = outline_->Match(page_number, joined); l > 0) level = std::min(6, l);
      }
    } else {
      level = HeadingLevel(block, body_size, joined, page_number, &lead_title, &lead_rest);
      // A name above an e-mail address is an author, not a heading.
      const bool outline = outline_ != nullptr && outline_->Usable();
      if (level > 0 && !outline && bi + 1 < page.blocks.size() && IsContactLine(page.blocks[bi + 1])) level = 0;
    }
    const HeadingNumber unit = block.lines.size() == 1 && joined.size() <= 40 ? ParseHeadingNumber(joined) : HeadingNumber{};
    if (!pending_unit.empty()) {
      if (level > 0) {
        add_heading(level, pending_unit + " " + joined);
        pending_unit.clear();
        continue;
      }
      if (outline_ != nullptr && outline_->Usable()) {
        parts.push_back(pending_unit);
      } else {
        add_heading(1, pending_unit);
      }
      pending_unit.clear();
    }
    if (!slides_ && unit.depth == 1 && unit.title_start >= joined.size() && block.lines.size() == 1 &&
        std::isalpha(static_cast<unsigned char>(joined[0])) && StyleOf(block).size >= body_size) {
      pending_unit = joined;  // "Chapter 3" alone: the title follows
      continue;
    }
    if (level > 0 && !lead_title.empty()) {
      add_heading(level, lead_title);
      parts.push_back(ProtectBlockStart(lead_rest));
      continue;
    }
    if (level > 0) {
      add_heading(level, joined);
      continue;
    }
    md = RenderProse(block, style.size);
    if (!md.empty()) parts.push_back(std::move(md));
  }
  if (!pending_unit.empty()) parts.push_back(pending_unit);
  flush_code();
  for (const std::string& p : parts) {
    if (!result.markdown.empty()) result.markdown += "\n\n";
    result.markdown += p;
  }
  if (outline_ != nullptr) outline_->Forget(page_number);
  return result;
}

PageMarkdown RenderPageMarkdown(PageLayout page, float body_size, int page_number) {
  NormalizeLines(page);
  MarkdownRenderer renderer(nullptr, false);
  return renderer.Render(std::move(page), body_size, page_number);
}

}  // namespace docpipe
