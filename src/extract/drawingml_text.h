#pragma once

#include <string>
#include <vector>

#include <pugixml.hpp>

#include "extract/markdown_writer.h"
#include "extract/zip_formats.h"

// Internal to src/extract: DrawingML text bodies and tables (PPTX shapes,
// XLSX drawings), shared by the readers.
namespace docpipe {

struct DrawingParagraph {
  std::string text;    // inline Markdown (links included)
  int level = 0;       // a:pPr lvl
  bool bullet = false;  // a bullet or number is shown
  bool numbered = false;
  bool mono = false;    // every run in a monospaced font
};

// The paragraphs of an a:txBody / p:txBody. `bulleted_by_default`: the
// placeholder's master shows bullets unless a paragraph says a:buNone.
std::vector<DrawingParagraph> ReadTextBody(const pugi::xml_node& tx_body, const Relationships& rels,
                                           bool bulleted_by_default);

// Writes paragraphs as Markdown: bulleted ones as list items (numbered ones
// counted per level), monospaced runs as one code block, others as paragraphs.
void WriteParagraphs(const std::vector<DrawingParagraph>& paragraphs, PageWriter& out);

// An a:tbl as rows, merged cells (gridSpan/rowSpan, hMerge/vMerge) repeated.
std::vector<TableRow> ReadDrawingTable(const pugi::xml_node& tbl, const Relationships& rels);

}  // namespace docpipe
