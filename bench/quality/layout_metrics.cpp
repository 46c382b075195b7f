#include "layout_metrics.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace docpipe::bench {
namespace {

std::vector<std::string> NonEmptyLines(const std::string& page) {
  std::vector<std::string> lines;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    const std::string m = MaskNumbers(line);
    if (!m.empty()) lines.push_back(m);
  }
  return lines;
}

std::string Fold(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x80)
      out += static_cast<char>(c);
    else if (std::isalnum(c))
      out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// "2.1 Data" -> "Data"; "Chapter 3 Tables" -> "Tables".
std::string WithoutNumber(const std::string& text) {
  std::istringstream in(text);
  std::string first;
  in >> first;
  if (first == "Chapter" || first == "Appendix" || first == "Part" || first == "CHAPTER") {
    std::string n;
    in >> n;
  } else if (first.empty() || !(std::isdigit(static_cast<unsigned char>(first[0])) ||
                                (first.size() <= 5 && first.find('.') != std::string::npos))) {
    return text;
  }
  std::string rest;
  std::getline(in, rest);
  return rest;
}

std::unordered_map<std::string, int> WordCounts(const std::string& text) {
  std::unordered_map<std::string, int> counts;
  std::string w;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      w += static_cast<char>(std::tolower(c));
    } else if (!w.empty()) {
      ++counts[w];
      w.clear();
    }
  }
  if (!w.empty()) ++counts[w];
  return counts;
}

}  // namespace

std::string MaskNumbers(const std::string& text) {
  std::string out;
  bool space = false, digits = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      digits = false;
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (std::isdigit(c)) {
      if (!digits) out += '#';
      digits = true;
    } else {
      out += static_cast<char>(c);
      digits = false;
    }
  }
  return out;
}

std::vector<std::string> FurnitureLines(const std::vector<std::string>& pages) {
  std::map<std::string, std::set<size_t>> edge_pages;
  std::set<std::string> body;
  for (size_t p = 0; p < pages.size(); ++p) {
    const std::vector<std::string> lines = NonEmptyLines(pages[p]);
    for (size_t i = 0; i < lines.size(); ++i) {
      const bool edge = i < 2 || i + 2 >= lines.size();
      if (edge)
        edge_pages[lines[i]].insert(p);
      else
        body.insert(lines[i]);
    }
  }
  std::vector<std::string> out;
  for (const auto& [line, where] : edge_pages) {
    if (where.size() < 3 || body.count(line)) continue;
    const size_t letters = static_cast<size_t>(std::count_if(
        line.begin(), line.end(), [](unsigned char c) { return std::isalpha(c) || c >= 0x80; }));
    if (letters < 4) continue;  // bare numbers, "# / #"
    out.push_back(line);
  }
  return out;
}

std::string BodyText(const std::vector<std::string>& pages, const std::vector<std::string>& furniture) {
  std::string out;
  for (const std::string& page : pages) {
    std::vector<std::string> lines;
    std::istringstream in(page);
    std::string line;
    while (std::getline(in, line)) {
      if (!MaskNumbers(line).empty()) lines.push_back(line);
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      const bool edge = i < 2 || i + 2 >= lines.size();
      const std::string m = MaskNumbers(lines[i]);
      const bool number = m == "#" || m == "- # -" || m == "# / #" || m == "Page #" ||
                          (m.size() <= 6 && m.find_first_not_of("ivxlcdm") == std::string::npos);
      if (edge && (number || std::find(furniture.begin(), furniture.end(), m) != furniture.end())) continue;
      out += lines[i];
      out += '\n';
    }
  }
  return out;
}

bool ContainsFurniture(const std::string& text, const std::vector<std::string>& furniture) {
  const std::string masked = MaskNumbers(text);
  for (const std::string& f : furniture) {
    if (masked.find(f) != std::string::npos) return true;
  }
  return false;
}

HeadingScore ScoreHeadings(const std::vector<FoundHeading>& found, const std::vector<OutlineTitle>& outline) {
  HeadingScore s;
  std::vector<bool> entry_matched(outline.size(), false);
  for (const OutlineTitle& e : outline) s.entries += e.page > 0 && !Fold(e.title).empty() ? 1 : 0;
  for (const FoundHeading& h : found) {
    ++s.headings;
    const std::string a = Fold(h.text), a_bare = Fold(WithoutNumber(h.text));
    for (size_t i = 0; i < outline.size(); ++i) {
      const OutlineTitle& e = outline[i];
      if (e.page > 0 && std::abs(e.page - h.page) > 1) continue;
      const std::string b = Fold(e.title), b_bare = Fold(WithoutNumber(e.title));
      if (b.empty()) continue;
      const bool ends = a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
      if (a == b || a_bare == b || a == b_bare || (!a_bare.empty() && a_bare == b_bare) || ends) {
        ++s.matched_headings;
        if (!entry_matched[i]) {
          entry_matched[i] = true;
          ++s.matched_entries;
        }
        break;
      }
    }
  }
  return s;
}

double WordRecall(const std::string& reference, const std::string& text) {
  const auto want = WordCounts(reference);
  const auto have = WordCounts(text);
  long total = 0, found = 0;
  for (const auto& [w, n] : want) {
    total += n;
    auto it = have.find(w);
    if (it != have.end()) found += std::min(n, it->second);
  }
  return total == 0 ? 1.0 : static_cast<double>(found) / total;
}

int CountTables(const std::string& markdown) {
  int tables = 0;
  std::istringstream in(markdown);
  std::string line, prev;
  bool prev_row = false;
  while (std::getline(in, line)) {
    const bool row = !line.empty() && line[0] == '|';
    const bool sep =
        row && line.find("---") != std::string::npos && line.find_first_not_of("|-: ") == std::string::npos;
    if (sep && prev_row) ++tables;
    prev_row = row && !sep;
    prev = line;
  }
  return tables;
}

}  // namespace docpipe::bench
