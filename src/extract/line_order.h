#pragma once

#include <vector>

// Characters of one printed line as a PDF draws them, put into the order and
// form a reader means: spacing accents on their letters, right-to-left runs
// in logical order with their word spaces. Independent of the PDF library so
// the rules can be tested with hand-made lines.
namespace docpipe {

// One drawn character. x grows to the right; `font` is opaque (the caller's
// style key, carried along).
struct LineChar {
  char32_t c = 0;
  char32_t mark = 0;  // a combining mark that follows c (from a joined spacing accent)
  float x0 = 0, x1 = 0;
  float size = 0;
  float y = 0;  // baseline (y grows downwards, as LineBar's); fills the padding before `font`
  const void* font = nullptr;
};

// A bar the page draws near a line: a rule (stroked or a thin filled
// rectangle), in the characters' coordinates. XeTeX and LuaTeX with
// kashida=leaders+hrule stretch a word by drawing its joining stroke as a
// rule between two letters, so the gap is no word space.
struct LineBar {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Joins spacing accents (U+00B4, U+00A8, ^, ~ ...) drawn over a neighbouring
// letter to it as a combining mark (TeX draws "ó" as "´" then "o"). Only an
// accent whose centre lies over the letter joins; "don´t" is left alone. A
// row of two, three or four dots (U+02D9) over one letter, as mathematics
// sets them (\ddot, \dddot, \ddddot), joins as one mark: U+0308, U+20DB,
// U+20DC.
void JoinSpacingAccents(std::vector<LineChar>& chars);

// Moves the spacing accents that end `line` (a space before them dropped)
// to the front of `next` when they sit over the letter `next` starts with:
// an accent raised above its letter's baseline can end up in the line before
// the letter's (MuPDF starts a new line when the pen moves back to draw the
// letter under it). The caller checks the two lines share a row.
void MoveAccentsOntoNextLine(std::vector<LineChar>& line, std::vector<LineChar>& next);

// Whether `c` is a strong right-to-left character (Hebrew, Arabic, Syriac,
// Thaana, N'Ko and their presentation forms).
bool IsRightToLeft(char32_t c);

// Reorders a line drawn left to right (visual order) into logical order when
// it holds right-to-left text, inserting the word spaces that right-to-left
// PDFs leave to the glyph positions (a gap of more than 0.12 em between
// letters). Runs of left-to-right text (Latin words, numbers) inside keep
// their order. The base direction is that of the majority of strong
// characters. A line whose right-to-left letters were drawn leftwards is
// already in logical order: it only gets its word spaces. A glyph without a
// Unicode mapping (U+FFFD, which the caller drops) inside a right-to-left
// word splits it there. A gap between two right-to-left letters that can
// join, bridged by one of `bars` lying on the baseline between them (a
// kashida drawn as a rule), is no word space, and space glyphs in it go; an
// underline (below the baseline) or a rule longer than the two letters (a
// phrase underlined or struck out) is no kashida. `bars` may hold any of the
// page's bars: those away from the line are ignored. Lines without
// right-to-left characters are left unchanged. Returns whether the line is
// right-to-left overall.
bool VisualToLogical(std::vector<LineChar>& chars, const std::vector<LineBar>& bars = {});

}  // namespace docpipe
