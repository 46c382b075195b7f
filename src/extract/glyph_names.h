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

// What the Adobe Glyph List means by a private-use code point, for glyphs
// mapped there whose names say nothing (CID-keyed fonts have none): the
// character of an old-style figure or small capital (U+F734 "fouroldstyle"
// is '4'), or `drawing` for the pieces of large delimiters and extenders
// (U+F8E5-U+F8FE), which are not text. Neither for a code point the list
// gives no meaning: only its font knows it.
struct PrivateUseMeaning {
  char32_t text = 0;
  bool drawing = false;
};
PrivateUseMeaning AdobePrivateUseMeaning(char32_t c);

// Whether a font is one of LaTeX's picture-mode fonts (line10, linew10,
// lcircle10, lcirclew10; a subset tag such as "QPORNI+" ignored), whose glyphs
// are pieces of slanted lines and circles drawn by the picture environment,
// not text: pdftotext reads them as "####", "!!!!" and "j".
bool IsPictureModeFont(const char* font_name);

// A MuPDF device that forwards text to `target` after replacing unmapped
// glyphs (U+FFFD) and glyphs mapped into the private use area (a font's
// "T_h" ligature as U+E002, old-style figures as U+F734) by what their glyph
// name says, where it says something, and ligatures that MuPDF read as their
// first letter (a font's "f_f" as 'f') by their whole name; private-use code
// points the Adobe Glyph List gives a meaning become that meaning, and the
// pieces of large delimiters (U+F8E5-U+F8FE) and the glyphs of picture-mode
// fonts are dropped.
// Only text calls reach `target`: meant to sit in front of a structured-text
// device. The caller drops it (fz_drop_device) after closing it; `target`
// stays owned by the caller. Throws (fz_throw) on allocation failure.
fz_device* NewGlyphNameRecoveryDevice(fz_context* ctx, fz_device* target);

}  // namespace docpipe
