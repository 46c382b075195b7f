#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/extractor.h"

namespace docpipe {

// The built-in extractors (the adapters of the Extractor port). Only the
// composition (app/) and the tests create them; the pipeline sees the port.
ExtractorPtr NewPdfExtractor();
ExtractorPtr NewTextExtractor();  // .md, .markdown, .txt, .text

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
