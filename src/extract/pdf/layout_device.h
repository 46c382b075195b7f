#pragma once

#include <mupdf/fitz.h>

#include "extract/page_layout.h"

namespace docpipe {

// What the layout device saw of a page's vector graphics.
struct PageGraphics {
  std::vector<Rule> rules;
  std::vector<Box> boxes;
  bool overflow = false;  // more shapes than kept (plots, drawings): the rest dropped
};

// A MuPDF device that passes text on to `text_device` (the structured-text
// device) and records the page's axis-aligned lines and rectangles into
// `out`, so that text and graphics come from one interpretation of the page.
// `page_area` bounds what counts: a fill covering most of it is a background.
// Throws (fz_throw) like any MuPDF constructor; `out` must outlive the device.
fz_device* NewLayoutDevice(fz_context* ctx, fz_device* text_device, fz_rect page_area, PageGraphics* out);

}  // namespace docpipe
