#pragma once

#include <mupdf/fitz.h>

#include "extract/page_layout.h"

namespace docpipe {

// What the layout device saw of a page's vector graphics.
struct PageGraphics {
  std::vector<Rule> rules;
  std::vector<Box> boxes;
  // Straight strokes and filled rectangles too short to be rules, at most
  // kMaxBarThickness tall: XeTeX's kashida rules between the letters of a
  // stretched word are a few points long (line_order.h, LineBar).
  std::vector<Rule> bars;
  bool overflow = false;  // more shapes than kept (plots, drawings): the rest dropped
};

// The tallest short shape kept in PageGraphics::bars (kashida rules are
// 0.06-0.25 em thick: 11 pt in xepersian-XB's 45 pt Sayeh style).
constexpr float kMaxBarThickness = 12;

// A MuPDF device that passes text on to `text_device` (the structured-text
// device) and records the page's axis-aligned lines and rectangles into
// `out`, so that text and graphics come from one interpretation of the page.
// `page_area` bounds what counts: a fill covering most of it is a background.
// Throws (fz_throw) like any MuPDF constructor; `out` must outlive the device.
fz_device* NewLayoutDevice(fz_context* ctx, fz_device* text_device, fz_rect page_area, PageGraphics* out);

}  // namespace docpipe
