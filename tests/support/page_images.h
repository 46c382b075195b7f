#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ocr/ocr_engine.h"

// Page images for OCR tests: rendered from generated PDFs (text we know),
// wrapped as image-only PDFs ("scans") or written as PNG, JPEG, WebP and TIFF files.
namespace docpipe::testing {

// Renders page `index` (0-based) of `pdf` in grey at `dpi`.
Status RenderPdfPage(const std::string& pdf, int index, int dpi, OcrImage* out);

// Writes a PDF whose pages are images of `src_pdf`'s pages rendered at `dpi`
// (no text layer: what a scanner makes).
Status MakeImageOnlyPdf(const std::string& src_pdf, const std::string& out_pdf, int dpi);

// Writes `images` as one file: "png", "jpeg" or "webp" (lossy, quality 90;
// one image), "tiff" (one page per image), with their dpi recorded (WebP
// records none).
Status WriteImages(const std::vector<OcrImage>& images, const std::string& format, const std::string& path);

// Writes `image` as an RGBA PNG whose ink is opaque black and whose paper is
// transparent (as screenshots and exported figures often are).
Status WriteTransparentPng(const OcrImage& image, const std::string& path);

// `image` turned 90 degrees clockwise (a page scanned sideways).
OcrImage RotateClockwise(const OcrImage& image);

}  // namespace docpipe::testing
