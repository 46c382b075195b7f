#include "extract/page_layout.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "extract/text_normalizer.h"

namespace docpipe {
namespace {

// Size ratios (to body text) from which a block is a heading of level 1..3.
constexpr float kLevel1Ratio = 1.6f;
constexpr float kLevel2Ratio = 1.3f;
constexpr float kLevel3Ratio = 1.12f;
constexpr size_t kMaxHeadingBytes = 160;
// Running headers/footers live in these top and bottom fractions of a page.
constexpr float kMarginBand = 0.1f;

struct BlockStyle {
  float size = 0;  // size carrying most characters
  float bold_fraction = 0;
  float mono_fraction = 0;
  int chars = 0;
};

BlockStyle StyleOf(const TextBlock& block) {
  std::map<int, int> by_size;
  int bold = 0, mono = 0, total = 0;
  for (const TextLine& line : block.lines) {
    for (const TextSpan& span : line.spans) {
      by_size[static_cast<int>(std::lround(span.size * 2))] += span.chars;
      if (span.bold) bold += span.chars;
      if (span.mono) mono += span.chars;
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

std::string Trim(const std::string& s) {
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
  for (std::string& c : cells) c = Trim(c);
  return cells;
}

std::string LineText(const TextLine& line) {
  std::string out;
  for (const std::string& cell : CellsOf(line, nullptr)) {
    if (cell.empty()) continue;
    if (!out.empty()) out += ' ';
    out += cell;
  }
  return out;
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
      para.resize(para.size() - hyphen_len);
      para += next;
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

bool IsPageNumberText(const std::string& text) {
  std::string t = Trim(text);
  if (t.rfind("Page ", 0) == 0 || t.rfind("page ", 0) == 0) t = t.substr(5);
  if (t.empty() || t.size() > 6) return false;
  bool digits = std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); });
  bool roman = std::all_of(t.begin(), t.end(), [](char c) { return std::strchr("ivxlcdm", c) != nullptr; });
  return digits || roman;
}

// A lone number at the very top or bottom of the page: a running header or
// footer carrying the printed page number. Dropped, since ExtractedPage
// already has the physical number and the printed one only adds noise.
bool IsPageNumberBlock(const TextBlock& block, const PageLayout& page) {
  if (block.lines.size() != 1 || page.height <= 0) return false;
  bool in_band = block.y1 < page.height * kMarginBand || block.y0 > page.height * (1 - kMarginBand);
  return in_band && IsPageNumberText(LineText(block.lines[0]));
}

int HeadingLevel(const TextBlock& block, const BlockStyle& style, float body_size,
                 const std::string& text) {
  if (body_size <= 0 || text.empty() || text.size() > kMaxHeadingBytes || block.lines.size() > 3) return 0;
  if (style.mono_fraction > 0.5f) return 0;
  if (!std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isalpha(c) || c >= 0x80; }))
    return 0;
  float ratio = style.size / body_size;
  if (ratio >= kLevel1Ratio) return 1;
  if (ratio >= kLevel2Ratio) return 2;
  if (ratio >= kLevel3Ratio) return 3;
  // Bold body-size lines standing alone ("Synopsis", "Returns") are run-in
  // subheads below every size-based level, so they nest under the section
  // they belong to; a sentence set in bold (ends with punctuation) is
  // emphasis, not a heading.
  bool sentence = EndsWith(text, ".") || EndsWith(text, ",") || EndsWith(text, ";");
  if (ratio > 0.95f && style.bold_fraction > 0.9f && block.lines.size() == 1 && text.size() <= 80 && !sentence)
    return 4;
  return 0;
}

// "• item", "- item", "1. item", "2) item" -> the Markdown marker and the rest.
bool ParseListItem(const std::string& text, std::string* marker, std::string* rest) {
  static const char* const kBullets[] = {"\xE2\x80\xA2", "\xE2\x97\xA6", "\xE2\x96\xAA", "\xE2\x80\xA3",
                                         "\xE2\x88\x99", "\xC2\xB7",     "\xE2\x80\x93", "\xE2\x80\x94", "-", "*"};
  for (const char* b : kBullets) {
    size_t n = std::strlen(b);
    if (text.size() > n + 1 && text.compare(0, n, b) == 0 && text[n] == ' ') {
      *marker = "- ";
      *rest = Trim(text.substr(n + 1));
      return true;
    }
  }
  size_t digits = 0;
  while (digits < text.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits > 0 && digits + 2 < text.size() && (text[digits] == '.' || text[digits] == ')') &&
      text[digits + 1] == ' ') {
    *marker = text.substr(0, digits) + ". ";
    *rest = Trim(text.substr(digits + 2));
    return true;
  }
  return false;
}

std::string EscapeCell(const std::string& cell) {
  std::string out;
  for (char c : cell) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

// A block whose lines split into the same number (>= 2) of cells at wide
// gaps, with each column's cells overlapping horizontally, is a table.
bool RenderTable(const TextBlock& block, std::string* out) {
  if (block.lines.size() < 2) return false;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::pair<float, float>> columns;
  for (const TextLine& line : block.lines) {
    std::vector<std::pair<float, float>> ranges;
    rows.push_back(CellsOf(line, &ranges));
    if (ranges.size() < 2) return false;
    if (columns.empty()) {
      columns = ranges;
      continue;
    }
    if (ranges.size() != columns.size()) return false;
    for (size_t c = 0; c < ranges.size(); ++c) {
      if (ranges[c].second < columns[c].first || ranges[c].first > columns[c].second) return false;
      columns[c].first = std::min(columns[c].first, ranges[c].first);
      columns[c].second = std::max(columns[c].second, ranges[c].second);
    }
  }
  for (size_t c = 1; c < columns.size(); ++c) {
    if (columns[c].first <= columns[c - 1].second) return false;
  }
  auto emit_row = [&](const std::vector<std::string>& row) {
    *out += '|';
    for (const std::string& cell : row) *out += ' ' + EscapeCell(cell) + " |";
    *out += '\n';
  };
  emit_row(rows[0]);
  *out += '|';
  for (size_t c = 0; c < columns.size(); ++c) *out += " --- |";
  *out += '\n';
  for (size_t r = 1; r < rows.size(); ++r) emit_row(rows[r]);
  out->pop_back();
  return true;
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
  auto flush = [&] {
    if (!current.empty()) parts.push_back(StripSoftHyphens(current));
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
      current = marker + rest;
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

// Code keeps its line breaks and approximate indentation (in character cells).
struct CodeLine {
  float x0;
  float cell;
  std::string text;
};

void CollectCode(const TextBlock& block, std::vector<CodeLine>* code) {
  for (const TextLine& line : block.lines) {
    std::string text;
    float cell = 0.6f * (line.spans.empty() ? 10 : line.spans[0].size);
    float last_x1 = line.x0;
    for (const TextSpan& span : line.spans) {
      if (!text.empty() && span.gap_before) {
        int spaces = std::max(1, static_cast<int>(std::lround((span.x0 - last_x1) / cell)));
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
  float left = code.front().x0;
  for (const CodeLine& l : code) left = std::min(left, l.x0);
  std::string out = "```\n";
  for (const CodeLine& l : code) {
    int indent = static_cast<int>(std::lround((l.x0 - left) / l.cell));
    out.append(static_cast<size_t>(std::max(0, indent)), ' ');
    out += l.text;
    out += '\n';
  }
  out += "```";
  return out;
}

float LineSize(const TextLine& line) { return line.spans.empty() ? 10 : line.spans.front().size; }

// Appends `line` to `last` when it continues it on the same baseline further
// right; returns whether it did.
bool FoldIntoLine(TextLine& last, TextLine& line) {
  const float size = LineSize(line);
  if (std::abs(last.y1 - line.y1) >= 0.3f * size || line.x0 < last.x1 - 1) return false;
  const bool gap = line.x0 - last.x1 > kCellGapEm * size;
  if (!gap && !last.spans.empty()) last.spans.back().text += ' ';
  line.spans.front().gap_before = gap;
  for (TextSpan& s : line.spans) last.spans.push_back(std::move(s));
  last.x1 = line.x1;
  return true;
}

// Dominant size of a line and whether it is all bold.
std::pair<float, bool> LineStyle(const TextLine& line) {
  float size = 0;
  int best = 0, bold = 0, total = 0;
  for (const TextSpan& s : line.spans) {
    if (s.chars > best) best = s.chars, size = s.size;
    bold += s.bold ? s.chars : 0;
    total += s.chars;
  }
  return {size, total > 0 && bold == total};
}

// A heading set directly above its text often shares one MuPDF block with
// it. Moves the leading lines of `b` into their own block (appended to
// `out`) wherever the size or boldness changes, leaving the rest in `b`.
void SplitAtStyleChanges(TextBlock& b, std::vector<TextBlock>& out) {
  size_t start = 0;
  for (size_t i = 1; i < b.lines.size(); ++i) {
    auto [prev_size, prev_bold] = LineStyle(b.lines[i - 1]);
    auto [size, bold] = LineStyle(b.lines[i]);
    if (std::abs(size - prev_size) <= 0.1f * std::max(size, prev_size) && bold == prev_bold) continue;
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

PageMarkdown RenderPageMarkdown(PageLayout page, float body_size, int page_number) {
  MergeSameBaseline(page.blocks);
  MergeTableRows(page.blocks);
  PageMarkdown result;
  std::vector<std::string> parts;
  std::vector<CodeLine> code;  // consecutive monospace blocks share one fence
  auto flush_code = [&] {
    if (!code.empty()) parts.push_back(RenderCode(code));
    code.clear();
  };
  for (const TextBlock& block : page.blocks) {
    BlockStyle style = StyleOf(block);
    if (style.chars == 0 || IsPageNumberBlock(block, page)) continue;
    if (style.mono_fraction > 0.8f) {
      CollectCode(block, &code);
      continue;
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
        md += LineText(line);
      }
      parts.push_back(std::move(md));
      continue;
    }
    std::string joined;
    for (const TextLine& line : block.lines) JoinLine(joined, LineText(line));
    joined = StripSoftHyphens(joined);
    if (int level = HeadingLevel(block, style, body_size, joined); level > 0) {
      parts.push_back(std::string(static_cast<size_t>(level), '#') + ' ' + joined);
      result.headings.push_back({level, joined, page_number});
      continue;
    }
    md = RenderProse(block, style.size);
    if (!md.empty()) parts.push_back(std::move(md));
  }
  flush_code();
  for (const std::string& p : parts) {
    if (!result.markdown.empty()) result.markdown += "\n\n";
    result.markdown += p;
  }
  return result;
}

}  // namespace docpipe
