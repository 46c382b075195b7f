#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "extract/extractor.h"

namespace docpipe {

// One table cell as a reader sees it: merged cells are expanded by the
// format readers, so every row has the same columns.
using TableRow = std::vector<std::string>;

// Builds the extract contract's Markdown (see ExtractedPage) block by block
// and hands finished pages to the sink, so that non-PDF readers produce
// exactly what the PDF path does: ATX headings, "- "/"1. " lists nested by
// indentation, pipe tables with a header row, fenced code. Like the PDF
// path, inline text is kept as written (no backslashes in what is embedded);
// only a line start that would read as a block marker ("# ", "- ", "1. ",
// "|", "```") is escaped, and "|" inside table cells.
// Also collects the outline and counts characters. Not thread-safe.
class PageWriter {
 public:
  PageWriter(std::string name, const ExtractOptions& options, const PageSink& sink, ExtractSummary* summary);

  //! "## text" (level clamped to 1-6); empty text is dropped. Goes into the outline.
  void Heading(int level, std::string_view text);
  //! A paragraph; newlines inside become spaces. Blank text is dropped.
  void Paragraph(std::string_view text);
  //! A list item at `depth` (0 = top). `number` > 0 makes it ordered ("3. ").
  //! Consecutive items form one list.
  void ListItem(int depth, int number, std::string_view text);
  //! A pipe table; rows[0] is the header. Short rows are padded. Cells must
  //! be inline text.
  void Table(const std::vector<TableRow>& rows);
  //! A fenced code block.
  void Code(std::string_view code, std::string_view language = "");
  //! Starts the next page when the open one has content or `force` is set
  //! (an empty slide keeps its number). Pages are numbered 1, 2, ... without
  //! gaps, as the chunk stage reads them. Errors come from the sink.
  Status BreakPage(bool force = false);
  //! Emits the open page when it has content, when no page was emitted yet,
  //! or when `keep_empty` is set (a last slide or sheet with nothing on it).
  //! Sets the title from the first level-1 heading when none was set.
  Status Finish(bool keep_empty = false);
  //! The sink's first error, the deadline or cancellation; checked by readers in loops.
  Status status() const { return status_; }
  //! Cancelled or Timeout (naming the document) when the extraction's cancel
  //! flag is set or its deadline has passed; OK otherwise. For readers that
  //! work long between pages (an HTML parse).
  Status Interrupted() const;
  //! Pages emitted so far plus the open one.
  int current_page() const { return number_; }
  //! Whether the open page has content.
  bool page_has_content() const { return !markdown_.empty(); }

 private:
  void Append(std::string_view block, bool list_item);
  Status Emit();

  std::string name_;
  const ExtractOptions& options_;
  const PageSink& sink_;
  ExtractSummary* summary_;
  std::string markdown_;
  int number_ = 1;
  bool last_was_list_ = false;
  bool last_top_ordered_ = false;
  std::vector<size_t> list_content_columns_;
  Status status_;
};

// A link; the URL's spaces and parentheses are percent-encoded.
std::string MarkdownLink(std::string_view text_markdown, std::string_view url);
// "![alt](image)" is pointless without the image: alt text and captions
// become an "Image: ..." line.
std::string ImageText(std::string_view alt);
// Cuts `s` to at most `max` code points without splitting one; true when it cut.
bool TruncateCodePoints(std::string& s, int64_t max);
// Text with whitespace runs collapsed and ends trimmed.
std::string CollapseSpace(std::string_view text);
// A paragraph or item text that would parse as another block ("# ", "####",
// "> ", "|", "- ", "1. ", a fence) gets a backslash before its marker.
std::string ProtectBlockStart(std::string text);

}  // namespace docpipe
