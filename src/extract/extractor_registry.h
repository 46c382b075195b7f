#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/extractor.h"
#include "extract/format_options.h"

namespace docpipe {

// File name suffixes the built-in extractors take (".pdf", ".md", ".docx", ...).
std::vector<std::string> SupportedSuffixes();

// All built-in extractors, PDF first. `ocr` reads scanned PDF pages and image
// files (and must outlive the extractors); null: no OCR, and image files fail
// saying OCR is off.
std::vector<ExtractorPtr> NewDefaultExtractors(const FormatOptions& options = {}, OcrPool* ocr = nullptr);

// The extractor for `key`, judged first by the file's first bytes `head`
// alone (so a mislabelled file goes to the reader of what it really is), then
// by suffix. InvalidInput "unsupported file type" naming the supported
// suffixes when none takes it. The pointer is owned by `extractors`.
Result<Extractor*> SelectExtractor(const std::vector<ExtractorPtr>& extractors, const std::string& key,
                                   std::string_view head);

}  // namespace docpipe
