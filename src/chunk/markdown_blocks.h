#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/extractor.h"

namespace docpipe {

enum class BlockType { kHeading, kParagraph, kList, kTable, kCode };

//! "heading", "paragraph", "list", "table", "code".
const char* BlockTypeName(BlockType type);

// One top-level Markdown block of a page, its source lines kept verbatim
// (without the trailing newline) so that chunks reproduce the page text.
struct Block {
  BlockType type = BlockType::kParagraph;
  int level = 0;       //! heading level 1-6; 0 for other blocks
  std::string text;    //! the block's lines; fenced code includes its fences
  std::string title;   //! heading text without "#" markers; empty for other blocks
  int page = 0;        //! physical page the block is on
};

// Splits one page's Markdown (the extract contract: ATX headings, fenced code,
// pipe tables, "- "/"1. " lists, blank-line separated paragraphs) into blocks.
// Blocks never span pages: a fence left open at the end of the page is closed
// there, and a paragraph running over a page break becomes two blocks.
std::vector<Block> ParseMarkdownBlocks(std::string_view markdown, int page);

// All pages in order.
std::vector<Block> ParseMarkdownPages(const std::vector<ExtractedPage>& pages);

}  // namespace docpipe
