#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace docpipe {

// One extracted page as Markdown. Markdown is the contract between extract and
// chunk: headings are ATX ("## Title"), tables are pipe tables, code is fenced,
// lists use "- " / "1. ", paragraphs are separated by a blank line.
struct ExtractedPage {
  int number = 0;  // 1-based physical page number
  std::string markdown;
  bool has_text_layer = true;  // false: the page has no extractable text (scan?)
  int64_t chars = 0;           // characters (code points) of text on the page
  bool truncated = false;      // text beyond ExtractOptions::max_page_chars was dropped
  std::string label;           // printed page number ("xii", "17", "A-3"): the PDF's page
                               // labels, else the number found in the running header or
                               // footer; empty when unknown
  std::vector<std::string> furniture;  // lines removed as running headers, footers and page
                                       // numbers (kept out of `markdown`)
  int unmapped_chars = 0;      // glyphs without a Unicode mapping (dropped, never indexed)
  bool ocr = false;            // the text comes from OCR (no usable text layer)
  float ocr_confidence = 0;    // OCR'd pages: mean word confidence, 0-100
  std::string ocr_reason;      // why the page image was looked at: "no_text_layer", "unusable_text",
                               // "image"; "" = not (ocr false with a reason: blank, or OCR found nothing)
  std::string ocr_script;      // OCR'd pages: script detected by orientation/script detection ("Latin")
  int ocr_rotation = 0;        // OCR'd pages: degrees the page image was turned to read it (0/90/180/270)
};

struct HeadingEntry {
  int level = 1;  // 1 = top
  std::string text;
  int page = 0;
};

// Whole-document facts gathered while the pages stream by.
struct ExtractSummary {
  int page_count = 0;
  std::vector<HeadingEntry> outline;
  std::string format;  // "pdf", "markdown", "text", "docx", "pptx", "xlsx", "csv", "html", "epub", "odt", ...
  std::string title;   // from metadata, when present
  int warning_count = 0;              // problems the reader worked around (repairs, bad pages)
  std::vector<std::string> warnings;  // the first few of them, for logs
  // Format-specific facts for metadata.json (e-mail: subject, from, to, cc, date, message_id).
  std::map<std::string, std::string> properties;
};

// A document carried inside another (an e-mail attachment), handed out to be
// processed as a document of its own.
struct EmbeddedDocument {
  std::string file_name;     // as the parent names it ("report.pdf"); may be empty
  std::string content_type;  // as the parent declares it ("application/pdf")
  std::string data;          // the decoded bytes
};
using EmbeddedSink = std::function<Status(EmbeddedDocument&&)>;

struct ExtractOptions {
  int64_t deadline_ms = 0;  // absolute epoch ms by `clock`; 0 = none. Past it: Timeout.
  const std::atomic<bool>* cancel = nullptr;  // set: stop with Cancelled
  int64_t max_page_chars = 2'000'000;         // a page with more text is truncated and flagged
  Clock* clock = nullptr;  // the time of deadline_ms (the stage's clock); nullptr = the system clock
  bool outline_headings = true;  // false: ignore the PDF's outline; headings from fonts and numbering
  // Receives embedded documents (attachments) in order; unset: they are
  // only counted. A non-OK return stops the extraction with it.
  const EmbeddedSink* embedded = nullptr;
  // Pages read at once (PDF: each thread with its own MuPDF context and
  // document); 1 = one after another. Pages still reach the sink in order,
  // and the output is the same for any count.
  int threads = 1;
};

// The time deadline_ms is measured by: `options.clock`, else the system clock.
int64_t ExtractNowMs(const ExtractOptions& options);

// Receives pages in order; a non-OK return stops the extraction with it.
using PageSink = std::function<Status(ExtractedPage&&)>;

// Turns one document file into Markdown pages, streaming so that memory does
// not grow with page count. Errors: InvalidInput for documents that cannot be
// read (encrypted, corrupt, not the claimed format), naming the problem.
// Implementations are thread-safe (one call per thread at a time is fine).
class Extractor {
 public:
  virtual ~Extractor() = default;
  //! Short format name ("pdf").
  virtual std::string Format() const = 0;
  //! Whether this extractor takes the file, judged from its key and first bytes.
  virtual bool CanHandle(const std::string& key, std::string_view head) const = 0;
  //! Extracts `path` (a local file); `name` is used in error messages.
  virtual Result<ExtractSummary> Extract(const std::string& path, const std::string& name,
                                         const ExtractOptions& options, const PageSink& sink) = 0;
};

using ExtractorPtr = std::unique_ptr<Extractor>;

}  // namespace docpipe
