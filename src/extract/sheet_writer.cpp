#include "extract/sheet_writer.h"

#include <algorithm>

namespace docpipe {

void WriteSheetTables(std::vector<TableRow> rows, int rows_per_table, PageWriter& out) {
  // Trim empty rows and the empty columns at either side of the used range.
  auto empty_row = [](const TableRow& r) {
    return std::all_of(r.begin(), r.end(), [](const std::string& c) { return c.empty(); });
  };
  while (!rows.empty() && empty_row(rows.back())) rows.pop_back();
  rows.erase(rows.begin(), std::find_if(rows.begin(), rows.end(), [&](const TableRow& r) { return !empty_row(r); }));
  if (rows.empty()) return;
  size_t first = SIZE_MAX, last = 0;
  for (const TableRow& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) {
      if (r[c].empty()) continue;
      first = std::min(first, c);
      last = std::max(last, c + 1);
    }
  }
  for (TableRow& r : rows) {
    r.resize(std::max(r.size(), last));
    r = TableRow(r.begin() + static_cast<long>(first), r.begin() + static_cast<long>(last));
  }
  if (last - first == 1) {
    // One column: a list of values reads better as paragraphs than a table.
    for (const TableRow& r : rows) out.Paragraph(r[0]);
    return;
  }
  const size_t per = static_cast<size_t>(std::max(1, rows_per_table));
  if (rows.size() <= per + 1) {
    out.Table(rows);
    return;
  }
  for (size_t start = 1; start < rows.size(); start += per) {
    std::vector<TableRow> part;
    part.reserve(per + 1);
    part.push_back(rows[0]);
    for (size_t r = start; r < std::min(rows.size(), start + per); ++r) part.push_back(std::move(rows[r]));
    out.Table(part);
    if (!out.status().ok()) return;
  }
}

}  // namespace docpipe
