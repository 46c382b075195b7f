#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "ocr/ocr_engine.h"

namespace docpipe {

//! Decodes a WebP file into an 8-bit grey OcrImage, transparency composed on
//! white (as a viewer shows it), for OCR: MuPDF 1.21 cannot read WebP, and
//! Leptonica (built with libwebp in Debian) can. Leptonica lives in OCR's
//! module (docpipe-ocr-tesseract.so), which this loads on first use.
//! InvalidInput for a bad header, undecodable data or an image of more than
//! `max_pixels`; Unavailable when the module cannot be loaded. The image's dpi
//! is `default_dpi` (WebP records no resolution).
Result<OcrImage> DecodeWebpToGrey(const uint8_t* data, size_t size, int64_t max_pixels, int default_dpi);

}  // namespace docpipe
