#pragma once

#include <mupdf/pdf.h>

namespace docpipe {

// MuPDF gives up on a page after 100 syntax errors in its content stream
// ("too many syntax errors; ignoring rest of page"), and the rest of the page
// is lost. Broken producers can write an unknown operator per drawing: a
// generic TeX package that passes "literal" to XeTeX's \special writes it
// 144 times on one page of pdfmsym's manual, whose last two tables then
// vanished. pdftotext and pdf.js skip such operators and read on.
//
// The warning MuPDF gives when it stops reading a page.
inline constexpr const char* kTooManySyntaxErrors = "too many syntax errors; ignoring rest of page";

// Replaces the content of page `index` (0-based) of `doc`, in memory only, by
// a copy without its unknown operators, each with its operands: what MuPDF
// skips anyway, one error each. Inline images are copied as they are.
// Returns how many operators it removed; 0 leaves the page as it was (none
// found, an inline image without its end, or any MuPDF error, allocation
// failure included: this never throws).
int RemoveUnknownOperators(fz_context* ctx, pdf_document* doc, int index);

}  // namespace docpipe
