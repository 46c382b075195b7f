#include "extract/page_labels.h"

#include <algorithm>

namespace docpipe {

std::string RomanNumeral(int n, bool upper) {
  if (n <= 0) return "";
  static const std::pair<int, const char*> kDigits[] = {
      {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
      {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
  std::string out;
  for (const auto& [value, text] : kDigits) {
    while (n >= value) {
      out += text;
      n -= value;
    }
  }
  if (upper) std::transform(out.begin(), out.end(), out.begin(), [](char c) { return c - 'a' + 'A'; });
  return out;
}

std::string PageLabel(const std::vector<PageLabelRange>& ranges, int index) {
  const PageLabelRange* range = nullptr;
  for (const PageLabelRange& r : ranges) {
    if (r.first <= index) range = &r;
  }
  if (range == nullptr) return "";
  const int n = range->start + (index - range->first);
  std::string number;
  switch (range->style) {
    case 'D':
      number = std::to_string(n);
      break;
    case 'R':
    case 'r':
      number = RomanNumeral(n, range->style == 'R');
      break;
    case 'A':
    case 'a':
      // 1..26 = a..z, 27 = aa, 28 = bb, ... (the letter repeated).
      if (n > 0)
        number.assign(static_cast<size_t>((n - 1) / 26 + 1),
                      static_cast<char>((range->style) + (n - 1) % 26));
      break;
    default:
      break;
  }
  return range->prefix + number;
}

}  // namespace docpipe
