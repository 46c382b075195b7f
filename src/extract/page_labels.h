#pragma once

#include <string>
#include <vector>

namespace docpipe {

// One range of a PDF's /PageLabels number tree (PDF 32000 12.4.2): from
// page index `first` on, pages are labelled prefix + number in `style`,
// counting from `start`.
struct PageLabelRange {
  int first = 0;       // 0-based page index where the range begins
  char style = 0;      // 'D' decimal, 'R'/'r' roman, 'A'/'a' letters, 0 prefix only
  std::string prefix;  // UTF-8
  int start = 1;
};

// The label of 0-based page `index` under `ranges` (sorted by `first`), or
// empty when no range covers it.
std::string PageLabel(const std::vector<PageLabelRange>& ranges, int index);

// 4 -> "iv" (lower) / "IV"; 0 or negative -> "".
std::string RomanNumeral(int n, bool upper);

}  // namespace docpipe
