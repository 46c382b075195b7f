#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "extract/extractor.h"
#include "extract/format_options.h"

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
// PNG, JPEG, TIFF (every page of a multi-page TIFF) and WebP files, read by
// OCR, told apart by their magic bytes. `ocr` null: they fail with
// InvalidInput saying that OCR is off.
ExtractorPtr NewImageExtractor(OcrPool* ocr);
// DOCX/DOCM, PPTX, XLSX, ODT/ODP/ODS and EPUB, told apart by the archive's
// own declarations ([Content_Types].xml, the "mimetype" member).
ExtractorPtr NewZipDocumentExtractor(const FormatOptions& options);
// OLE2 compound files (encrypted OOXML, .doc/.xls/.ppt/.msg): always
// InvalidInput saying which it is.
ExtractorPtr NewCompoundFileExtractor();
ExtractorPtr NewHtmlExtractor(const FormatOptions& options);   // HTML, XHTML
ExtractorPtr NewCsvExtractor(const FormatOptions& options);    // .csv, .tsv
ExtractorPtr NewRtfExtractor(const FormatOptions& options);    // {\rtf
ExtractorPtr NewEmailExtractor(const FormatOptions& options);  // .eml (MIME)

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
