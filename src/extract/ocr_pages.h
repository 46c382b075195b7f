#pragma once

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "extract/extractor.h"
#include "extract/page_layout.h"
#include "ocr/ocr_pool.h"

// Where OCR meets the structure pass: recognised words become a PageLayout
// (so OCR'd text gets the same headings, lists and tables as native text),
// and pages are handed on in order while their recognition runs in parallel.
namespace docpipe {

// The layout of a recognised page, in points (pixels scaled by 72 / dpi):
// Tesseract's blocks, lines and words; a word gap wider than kCellGapEm
// starts a new cell; line heights become font sizes.
PageLayout LayoutFromOcr(const OcrPage& page);

// Whether a page's native text is unusable and the page should be OCR'd:
// mostly unmapped glyphs (U+FFFD) or private-use/control garbage.
bool TextIsUnusable(const PageLayout& layout, int unmapped_chars);

// Pages of one document on their way to the caller's sink, in page order.
// Native pages pass straight through when nothing is queued before them;
// OCR'd pages wait for their recognition, at most the pool's threads + 1 at
// a time (a bound on page images in memory). Not thread-safe: one per
// extraction.
class OrderedPages {
 public:
  // Receives each page with its final layout (native, or from OCR), in order.
  using Finish = std::function<Status(ExtractedPage&&, PageLayout&&)>;

  OrderedPages(OcrPool* pool, const ExtractOptions& options, const std::string& name, Finish finish);
  //! Abandons recognitions still queued (their results are not waited for).
  ~OrderedPages();

  //! A page whose text layer is used as is.
  Status AddNative(ExtractedPage page, PageLayout layout);
  //! Waits, handing on the oldest pages, until the pool has room for one
  //! more page image: call before drawing the image for AddOcr.
  Status MakeRoom();
  //! A page to OCR from `image`; `fallback` is used when OCR fails or finds
  //! less text (a warning is recorded). page.ocr_reason says why.
  Status AddOcr(ExtractedPage page, OcrImage image, PageLayout fallback);
  //! Waits for and hands on every remaining page.
  Status Flush();
  //! Problems worked around (OCR failures), for the summary's warnings.
  const std::vector<std::string>& Warnings() const { return warnings_; }
  //! Whether OCR is available at all.
  bool CanOcr() const { return pool_ != nullptr; }

 private:
  struct Pending {
    ExtractedPage page;
    PageLayout layout;  // native layout, or the fallback of an OCR'd page
    std::optional<std::future<Result<OcrPage>>> ocr;
  };
  Status DeliverFront();
  Status Wait(std::future<Result<OcrPage>>& f, int page_number);

  OcrPool* pool_;
  const ExtractOptions& options_;
  const std::string name_;
  Finish finish_;
  std::shared_ptr<std::atomic<bool>> abandon_;
  std::deque<Pending> pending_;
  int ocr_in_flight_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace docpipe
