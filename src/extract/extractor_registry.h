#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/extractor.h"

namespace docpipe {

// The built-in extractors (the adapters of the Extractor port). Only the
// composition (app/) and the tests create them; the pipeline sees the port.
class OcrPool;

ExtractorPtr NewPdfExtractor();
ExtractorPtr NewTextExtractor();  // .md, .markdown, .txt, .text
// A PDF extractor that reads pages without usable text (no text layer, or
// mostly unmapped glyphs) by OCR through `ocr` (src/ocr/); null = no OCR.
// `ocr` must outlive the extractor.
ExtractorPtr NewPdfExtractor(OcrPool* ocr);
// PNG, JPEG and TIFF (every page of a multi-page TIFF) files, read by OCR.
ExtractorPtr NewImageExtractor(OcrPool& ocr);

// File name suffixes the built-in extractors take (".pdf", ".md", ...).
std::vector<std::string> SupportedSuffixes();

// All built-in extractors, PDF first.
std::vector<ExtractorPtr> NewDefaultExtractors();

// The first extractor in `extractors` that takes `key` (judged with the
// file's first bytes `head`). InvalidInput "unsupported file type" naming the
// supported suffixes when none does. The pointer is owned by `extractors`.
Result<Extractor*> SelectExtractor(const std::vector<ExtractorPtr>& extractors, const std::string& key,
                                   std::string_view head);

}  // namespace docpipe
