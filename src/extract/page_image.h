#pragma once

#include <cstddef>

#include <mupdf/fitz.h>

#include "ocr/ocr_engine.h"

// Page images for OCR, drawn by MuPDF: PDF pages rendered, image files decoded.
namespace docpipe {

// The OCR resolution for rendered PDF pages (Tesseract reads 10-12 pt text
// best at 300 dpi).
inline constexpr int kOcrDpi = 300;

// Renders page `index` of `doc` in grey at `dpi` into *out. False with `err`
// set when MuPDF fails (or the cookie aborts).
bool RenderPageGray(fz_context* ctx, fz_document* doc, int index, int dpi, fz_cookie* cookie, OcrImage* out,
                    char* err, size_t err_len);

// Renders `region` (page points, y downwards) of page `index` in grey at
// `dpi`: a line to OCR. False with `err` set when MuPDF fails, the region
// misses the page, or the cookie aborts.
bool RenderRegionGray(fz_context* ctx, fz_document* doc, int index, fz_rect region, int dpi, fz_cookie* cookie,
                      OcrImage* out, char* err, size_t err_len);

// Copies `pix` (any colour space, with or without alpha) into *out as grey.
// False with `err` set on failure.
bool PixmapToGray(fz_context* ctx, fz_pixmap* pix, int dpi, OcrImage* out, char* err, size_t err_len);

// Whether `image` has no ink at all (nothing darker than light grey): a blank
// page, which OCR need not read.
bool IsBlankImage(const OcrImage& image);

}  // namespace docpipe
