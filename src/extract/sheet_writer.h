#pragma once

#include <vector>

#include "extract/markdown_writer.h"

namespace docpipe {

// Writes a sheet's used range as pipe tables: rows[0] is the header, and a
// sheet longer than `rows_per_table` is cut into several tables that each
// repeat the header, so every chunk of a big sheet reads on its own.
// Empty leading/trailing columns are dropped first.
void WriteSheetTables(std::vector<TableRow> rows, int rows_per_table, PageWriter& out);

}  // namespace docpipe
