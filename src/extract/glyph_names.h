#pragma once

#include <string>

struct fz_context;
struct fz_device;

// Recovering characters a PDF drew without a Unicode mapping (no ToUnicode
// entry, no standard encoding): the font's own glyph names often still say
// what the glyph is ("eacute", "uni0628", "f_i").
namespace docpipe {

// The characters a glyph name stands for, by the Adobe Glyph List rules:
// AGL names ("eacute"), "uniXXXX[XXXX...]", "uXXXX[XX]", ligatures joined by
// '_' ("f_f_i"), suffixes after '.' ignored ("a.sc"); Arabic glyphs named
// in the descriptive style of TeX's Arabic fonts ("behinitial", "fathah",
// "lamwithaleffinal") by the AGL's "...arabic" entries, and those of arabi's
// Type 3 fonts ("_baa_", "lam_alef", "arab_seven"). Empty when the name
// says nothing (".notdef", "g123", "cid42").
std::u32string UnicodeFromGlyphName(const std::string& name);

// A MuPDF device that forwards text to `target` after replacing unmapped
// glyphs (U+FFFD) by what their glyph name says, where it says something.
// Only text calls reach `target`: meant to sit in front of a structured-text
// device. The caller drops it (fz_drop_device) after closing it; `target`
// stays owned by the caller. Throws (fz_throw) on allocation failure.
fz_device* NewGlyphNameRecoveryDevice(fz_context* ctx, fz_device* target);

}  // namespace docpipe
