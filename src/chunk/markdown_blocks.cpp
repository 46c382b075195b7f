#include "chunk/markdown_blocks.h"

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace docpipe {
namespace {

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\f' && c != '\v') return false;
  }
  return true;
}

size_t Indent(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// Up to three spaces of indentation are allowed before block markers, as in
// CommonMark; more makes the line a continuation.
std::string_view Unindent(std::string_view line) {
  const size_t n = Indent(line);
  return n <= 3 ? line.substr(n) : std::string_view();
}

// "```lang" / "~~~": returns the fence run ("```") or empty.
std::string_view FenceOpen(std::string_view line) {
  std::string_view s = Unindent(line);
  if (s.size() < 3 || (s[0] != '`' && s[0] != '~')) return {};
  size_t n = 0;
  while (n < s.size() && s[n] == s[0]) ++n;
  if (n < 3) return {};
  // A backtick fence's info string cannot contain backticks.
  if (s[0] == '`' && s.substr(n).find('`') != std::string_view::npos) return {};
  return s.substr(0, n);
}

bool ClosesFence(std::string_view line, std::string_view fence) {
  std::string_view s = Unindent(line);
  size_t n = 0;
  while (n < s.size() && s[n] == fence[0]) ++n;
  return n >= fence.size() && IsBlank(s.substr(n));
}

// "## Title ##" -> level 2, title "Title". Level 0 when not a heading.
int HeadingLevel(std::string_view line, std::string* title) {
  std::string_view s = Unindent(line);
  size_t n = 0;
  while (n < s.size() && s[n] == '#') ++n;
  if (n == 0 || n > 6) return 0;
  if (n < s.size() && s[n] != ' ' && s[n] != '\t') return 0;
  std::string_view rest = s.substr(n);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  // A closing sequence of '#' counts only after a space ("C#" stays).
  size_t end = rest.size();
  while (end > 0 && rest[end - 1] == '#') --end;
  if (end == 0) {
    rest = {};
  } else if (end < rest.size() && (rest[end - 1] == ' ' || rest[end - 1] == '\t')) {
    rest = rest.substr(0, end);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  }
  if (title != nullptr) *title = std::string(rest);
  return static_cast<int>(n);
}

bool IsTableLine(std::string_view line) {
  std::string_view s = Unindent(line);
  return !s.empty() && s[0] == '|';
}

// "- x", "* x", "+ x", "12. x", "3) x". `ordered_start` receives the number.
bool IsListItem(std::string_view line, long* ordered_start) {
  std::string_view s = line.substr(Indent(line));
  if (s.size() >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && (s[1] == ' ' || s[1] == '\t')) {
    if (ordered_start != nullptr) *ordered_start = -1;
    return true;
  }
  size_t n = 0;
  while (n < s.size() && n < 9 && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
  if (n == 0 || n + 1 >= s.size()) return false;
  if ((s[n] != '.' && s[n] != ')') || (s[n + 1] != ' ' && s[n + 1] != '\t')) return false;
  if (ordered_start != nullptr) *ordered_start = std::stol(std::string(s.substr(0, n)));
  return true;
}

// Whether `line` may start a list inside running text: bullets and "1." only,
// so that a wrapped "in 1990. The" line does not turn into a list.
bool ListCanInterrupt(std::string_view line) {
  long start = 0;
  if (Indent(line) > 3 || !IsListItem(line, &start)) return false;
  return start == -1 || start == 1;
}

}  // namespace

const char* BlockTypeName(BlockType type) {
  switch (type) {
    case BlockType::kHeading:
      return "heading";
    case BlockType::kParagraph:
      return "paragraph";
    case BlockType::kList:
      return "list";
    case BlockType::kTable:
      return "table";
    case BlockType::kCode:
      return "code";
  }
  return "paragraph";
}

std::vector<Block> ParseMarkdownBlocks(std::string_view markdown, int page) {
  const std::vector<std::string_view> lines = SplitLines(markdown);
  std::vector<Block> blocks;
  auto emit = [&](BlockType type, size_t from, size_t to, int level = 0, std::string title = {}) {
    Block b;
    b.type = type;
    b.level = level;
    b.title = std::move(title);
    b.page = page;
    for (size_t k = from; k < to; ++k) {
      if (k > from) b.text += '\n';
      b.text += lines[k];
    }
    blocks.push_back(std::move(b));
  };

  size_t i = 0;
  while (i < lines.size()) {
    const std::string_view line = lines[i];
    if (IsBlank(line)) {
      ++i;
      continue;
    }
    std::string title;
    if (const std::string_view fence = FenceOpen(line); !fence.empty()) {
      size_t j = i + 1;
      while (j < lines.size() && !ClosesFence(lines[j], fence)) ++j;
      const size_t end = j < lines.size() ? j + 1 : j;  // include the closing fence
      emit(BlockType::kCode, i, end);
      i = end;
      continue;
    }
    if (const int level = HeadingLevel(line, &title); level > 0) {
      emit(BlockType::kHeading, i, i + 1, level, std::move(title));
      ++i;
      continue;
    }
    if (IsTableLine(line)) {
      size_t j = i + 1;
      while (j < lines.size() && IsTableLine(lines[j])) ++j;
      emit(BlockType::kTable, i, j);
      i = j;
      continue;
    }
    if (Indent(line) <= 3 && IsListItem(line, nullptr)) {
      // Items, their wrapped continuation lines and nested items; a blank
      // line ends the list unless an item or an indented line follows it.
      // A top-level item of the other kind (bullet vs ordered) starts a new list.
      long first_start = 0;
      IsListItem(line, &first_start);
      const bool ordered = first_start >= 0;
      size_t j = i + 1;
      size_t last = i + 1;
      while (j < lines.size()) {
        const std::string_view l = lines[j];
        if (IsBlank(l)) {
          ++j;
          continue;
        }
        const bool after_blank = IsBlank(lines[j - 1]);
        long start = 0;
        const bool item = IsListItem(l, &start);
        if (item && Indent(l) < 2 && (start >= 0) != ordered) break;
        if (after_blank && !item && Indent(l) < 2) break;
        if (!item && (!FenceOpen(l).empty() || HeadingLevel(l, nullptr) > 0 || IsTableLine(l))) break;
        ++j;
        last = j;
      }
      emit(BlockType::kList, i, last);
      i = last;
      continue;
    }
    size_t j = i + 1;
    while (j < lines.size()) {
      const std::string_view l = lines[j];
      if (IsBlank(l) || !FenceOpen(l).empty() || HeadingLevel(l, nullptr) > 0 || IsTableLine(l) ||
          ListCanInterrupt(l)) {
        break;
      }
      ++j;
    }
    emit(BlockType::kParagraph, i, j);
    i = j;
  }
  return blocks;
}

std::vector<Block> ParseMarkdownPages(const std::vector<ExtractedPage>& pages) {
  std::vector<Block> blocks;
  for (const ExtractedPage& page : pages) {
    std::vector<Block> page_blocks = ParseMarkdownBlocks(page.markdown, page.number);
    for (Block& b : page_blocks) blocks.push_back(std::move(b));
  }
  return blocks;
}

}  // namespace docpipe
