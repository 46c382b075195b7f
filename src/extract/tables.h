#pragma once

#include <string>
#include <vector>

#include "extract/page_layout.h"

namespace docpipe {

// Ruled tables: regions framed by horizontal rules of one width (booktabs'
// top/mid/bottom rules, or a full grid), with columns from vertical rules or
// from the gutters shared by the region's lines. Their lines are taken out of
// their blocks and replaced by one block holding the Markdown table (caption
// first, when a "Table N" line sits just above or below). Unruled tables are
// found later, block by block (RenderAlignedTable).
void ExtractRuledTables(PageLayout& page);

// Renders `lines` as a Markdown table when their cells (span groups split at
// gaps of `min_gap_em`) fall into two or more columns shared by the lines:
// the first row is the header. False, leaving `out` alone, otherwise.
bool RenderAlignedTable(const std::vector<const TextLine*>& lines, float min_gap_em, std::string* out);

}  // namespace docpipe
