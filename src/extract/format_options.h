#pragma once

#include "extract/extract_limits.h"

namespace docpipe {

// What the non-PDF readers include, and their limits ([extract] in the
// configuration).
struct FormatOptions {
  bool docx_comments = false;       //! DOCX/ODT comments as "Comment (author): text" paragraphs
  bool pptx_speaker_notes = true;   //! PPTX/ODP speaker notes under "Notes:" on their slide's page
  int sheet_rows_per_table = 200;   //! spreadsheet tables are cut into blocks of this many rows, header repeated
  int64_t sheet_max_cells = 2'000'000;  //! cells read per sheet; more are dropped with a warning
  ExtractLimits limits;
};

}  // namespace docpipe
