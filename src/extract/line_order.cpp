#include "extract/line_order.h"

#include <fribidi/fribidi.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cmath>

#include "extract/text_normalizer.h"

namespace docpipe {
namespace {

// Gap between two right-to-left letters, in em, that is a word space. Letters
// of one word touch or overlap; Persian's zero-width non-joiner leaves less.
constexpr float kRtlWordGapEm = 0.12f;
// A line whose letter gaps are all narrower is spaced by them when there are
// at least kMinEvenWordGaps, all at least kMinRtlWordGapEm and within a
// ratio of kEvenWordGaps of each other (LineWordGapEm).
constexpr int kMinEvenWordGaps = 3;
constexpr float kMinRtlWordGapEm = 0.08f;
constexpr float kEvenWordGaps = 1.15f;
// Letters closer than this (or overlapping) touch: no word space between them.
constexpr float kTouchEm = 0.05f;

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == 0xA0; }

constexpr char32_t kDotAbove = 0x02D9;
// A gap after a letter that is a word space however the letters are kerned
// (TeX's interword space is 0.33 em; kerns stay within about 0.1 em).
constexpr float kMissedSpaceEm = 0.22f;
// Combining marks for rows of 2, 3 and 4 dots above.
constexpr char32_t kDotRows[] = {0x0308, 0x20DB, 0x20DC};

// A letter an accent can sit on (not a space, digit or punctuation).
bool IsAccentBase(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return c >= 0xC0 && !IsSpace(c) && CombiningForSpacingAccent(c) == 0 && c != 0xFFFD;
}

bool Over(const LineChar& accent, const LineChar& base) {
  const float centre = 0.5f * (accent.x0 + accent.x1);
  const float slack = 0.15f * std::max(base.x1 - base.x0, 0.1f);
  return centre >= base.x0 - slack && centre <= base.x1 + slack;
}

// A presentation form's shape: isolated, initial, medial or final.
int FormOf(char32_t c) { return u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_DECOMPOSITION_TYPE); }

// The joining types of the first and last letter `c` stands for: itself, or
// the letters of a presentation form or ligature ("ﻼ" is lam then alef).
struct LetterJoining {
  FriBidiJoiningType first, last;
};

LetterJoining JoiningOf(char32_t c) {
  UChar32 first = static_cast<UChar32>(c), last = first;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_SUCCESS(status)) {
    icu::UnicodeString folded = nfkc->normalize(icu::UnicodeString(first), status);
    if (U_SUCCESS(status) && folded.length() > 0) {
      first = folded.char32At(0);
      last = folded.char32At(folded.moveIndex32(folded.length(), -1));
    }
  }
  return {fribidi_get_joining_type(static_cast<FriBidiChar>(first)),
          fribidi_get_joining_type(static_cast<FriBidiChar>(last))};
}

bool IsDualJoining(char32_t form) { return JoiningOf(form).first == FRIBIDI_JOINING_TYPE_D; }

constexpr char32_t kTatweel = 0x0640;
constexpr char32_t kUnmapped = 0xFFFD;

// Whether the glyphs show `first` joined to `second` (logical order) inside
// one word: presentation forms that join towards each other ("ﺗ" initial
// then "ﺎ" final); a tatweel (kashida) joins on both sides. Fonts whose
// glyphs map to presentation forms (XB Kayhan, arabi's) say so even where
// justification or kashida leave a gap between the glyphs. Base letters say
// nothing (a tatweel beside one may stand alone, as Kurdish uses it).
bool JoinedByShape(char32_t first, char32_t second) {
  const int a = first == kTatweel ? U_DT_MEDIAL : FormOf(first);
  const int b = second == kTatweel ? U_DT_MEDIAL : FormOf(second);
  return (a == U_DT_INITIAL || a == U_DT_MEDIAL) && (b == U_DT_MEDIAL || b == U_DT_FINAL);
}

// A kashida bar is at most this thick (XeTeX's rules: 0.06-0.09 em, 0.25 in
// a heavy style) and lies on the baseline: its top above it, by at most
// kKashidaRiseEm, and its bottom at most kKashidaDropEm below it (an
// underline lies wholly below the baseline).
constexpr float kKashidaThicknessEm = 0.3f;
constexpr float kKashidaRiseEm = 0.5f;
constexpr float kKashidaDropEm = 0.1f;

// The bars that may lie on the line's baseline (the rest of the page's go).
std::vector<LineBar> BarsNearLine(const std::vector<LineChar>& chars, const std::vector<LineBar>& bars) {
  std::vector<LineBar> near;
  if (bars.empty() || chars.empty()) return near;
  float top = chars.front().y, bottom = top, em = 0;
  for (const LineChar& ch : chars) {
    top = std::min(top, ch.y);
    bottom = std::max(bottom, ch.y);
    em = std::max(em, ch.size);
  }
  for (const LineBar& bar : bars) {
    if (bar.y1 >= top - kKashidaRiseEm * em && bar.y0 <= bottom + kKashidaDropEm * em) near.push_back(bar);
  }
  return near;
}

// Whether the gap between right-to-left letters `a` and `b` (either order)
// is a kashida: the letters can join (the one on the right, read first,
// joins forwards and the other backwards) and bars on their baseline span
// the gap without running past the two letters. The letters' forms are not
// asked: fonts map stretched glyphs to base letters, or to the wrong form
// (XB Kayhan's initial heh is "ﮪ", isolated).
bool BridgedByKashida(const LineChar& a, const LineChar& b, const std::vector<LineBar>& bars) {
  if (bars.empty() || !IsRightToLeft(a.c) || !IsRightToLeft(b.c)) return false;
  const LineChar& left = a.x0 <= b.x0 ? a : b;
  const LineChar& right = a.x0 <= b.x0 ? b : a;
  const float em = std::max(left.size, right.size);
  if (em <= 0 || right.x0 <= left.x1) return false;
  const FriBidiJoiningType forwards = JoiningOf(right.c).last, backwards = JoiningOf(left.c).first;
  if ((forwards != FRIBIDI_JOINING_TYPE_D && forwards != FRIBIDI_JOINING_TYPE_C) ||
      (backwards != FRIBIDI_JOINING_TYPE_D && backwards != FRIBIDI_JOINING_TYPE_R &&
       backwards != FRIBIDI_JOINING_TYPE_C))
    return false;
  const float slack = kTouchEm * em;
  const float baseline = 0.5f * (left.y + right.y);
  // The gap is covered up to `reach`; bars take it further until none does
  // (a gap holds one bar or a few: no sorting).
  float reach = left.x1 + slack;
  for (bool extended = true; extended && reach < right.x0;) {
    extended = false;
    for (const LineBar& bar : bars) {
      if (bar.x0 <= reach && bar.x1 + slack > reach && bar.y1 - bar.y0 <= kKashidaThicknessEm * em &&
          bar.y0 >= baseline - kKashidaRiseEm * em && bar.y0 < baseline && bar.y1 <= baseline + kKashidaDropEm * em &&
          bar.x0 >= left.x0 - slack && bar.x1 <= right.x1 + slack) {
        reach = bar.x1 + slack;
        extended = true;
      }
    }
  }
  return reach >= right.x0;
}

// XeTeX draws a Persian word with a zero-width non-joiner ("می‌کند") as two
// pieces, the second starting a hair left of the first's end; MuPDF takes the
// step back for a word space. Such a space between touching right-to-left
// letters is dropped, or becomes U+200C where the glyph shapes show the
// letters were kept from joining (a joining letter in final form, then one in
// initial form). A run of spaces counts as one: with kashida on, XeTeX draws
// space glyphs (often two, at the same place) between the joined letters of
// one word ("الله" in doc-ligature-xep.pdf, "ﺗﺎﺑﯽ" in xepersian-XB.pdf),
// also where a kashida bar bridges the gap.
void DropSpacesInsideWords(std::vector<LineChar>& chars, const std::vector<LineBar>& bars) {
  std::vector<LineChar> out;
  out.reserve(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    const LineChar& ch = chars[i];
    if (ch.c == ' ' && !out.empty() && !IsSpace(out.back().c)) {
      size_t next = i + 1;
      while (next < chars.size() && chars[next].c == ' ') ++next;
      if (next < chars.size()) {
        const LineChar& left = out.back();
        const LineChar& right = chars[next];
        const float em = std::max(left.size, right.size);
        if (IsRightToLeft(left.c) && IsRightToLeft(right.c) &&
            (JoinedByShape(right.c, left.c) || BridgedByKashida(left, right, bars))) {
          i = next - 1;
          continue;
        }
        if (IsRightToLeft(left.c) && IsRightToLeft(right.c) && right.x0 < left.x1 + kTouchEm * em &&
            right.x0 > left.x0 - 2 * em) {
          // Logical order: `right` is read first, then `left`.
          const int before = FormOf(right.c), after = FormOf(left.c);
          if ((before == U_DT_FINAL || before == U_DT_ISOLATED) &&
              (after == U_DT_INITIAL || after == U_DT_ISOLATED) && IsDualJoining(right.c)) {
            out.push_back({0x200C, 0, left.x1, left.x1, left.size, left.y, left.font});
          }
          i = next - 1;
          continue;
        }
      }
    }
    out.push_back(ch);
  }
  chars = std::move(out);
}

// In a line drawn in logical order, MuPDF also takes the pen's jump from the
// end of a left-to-right run ("2024") to the punctuation after it, drawn at
// the run's left edge, for a space: a space before a character that touches
// one just drawn is dropped.
void DropSpacesBeforeTouchingChars(std::vector<LineChar>& chars) {
  constexpr size_t kLookBack = 12;
  std::vector<LineChar> out;
  out.reserve(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    const LineChar& ch = chars[i];
    if (ch.c == ' ' && !out.empty() && i + 1 < chars.size() && !IsSpace(chars[i + 1].c)) {
      const LineChar& next = chars[i + 1];
      bool touches = false;
      for (size_t k = out.size(); k > 0 && out.size() - k < kLookBack && !touches; --k) {
        const LineChar& prev = out[k - 1];
        if (IsSpace(prev.c)) break;
        const float gap = std::max(next.x0 - prev.x1, prev.x0 - next.x1);
        touches = gap < kTouchEm * std::max(prev.size, next.size) && gap > -0.5f * next.size;
      }
      if (touches) continue;
    }
    out.push_back(ch);
  }
  chars = std::move(out);
}

bool IsCombiningMark(char32_t c) {
  const int8_t type = u_charType(static_cast<UChar32>(c));
  return type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK;
}

// Whether a word space belongs between `a` and `b`, consecutive in the
// drawing order: a gap of more than `word_gap_em` (LineWordGapEm) next to
// right-to-left text, unless the glyph shapes or a kashida bar show the two
// letters joined. `visual`: drawn left to right (else the pen moves leftwards).
bool NeedsWordSpace(const LineChar& a, const LineChar& b, bool visual, const std::vector<LineBar>& bars,
                    float word_gap_em) {
  // An unreadable glyph (U+FFFD, dropped later) in a right-to-left word:
  // the word is split there rather than glued round the missing letter.
  if ((a.c == kUnmapped && IsRightToLeft(b.c)) || (b.c == kUnmapped && IsRightToLeft(a.c))) return true;
  if (visual ? JoinedByShape(b.c, a.c) : JoinedByShape(a.c, b.c)) return false;
  const float em = std::max(a.size, b.size);
  const float gap = visual ? b.x0 - a.x1 : a.x0 - b.x1;
  return !IsSpace(a.c) && !IsSpace(b.c) && (IsRightToLeft(a.c) || IsRightToLeft(b.c)) && gap > word_gap_em * em &&
         !BridgedByKashida(a, b, bars);
}

// The gap that is a word space on this line. kRtlWordGapEm, unless every
// gap between right-to-left letters is narrower and they are alike: a
// justified line gives all its word spaces one width, and a font with
// narrow spaces (lshort-persian's ALotus: 0.11 em) then leaves no gap of
// kRtlWordGapEm on the line while its letters touch. Gaps inside words
// (after a letter that does not join, beside a vowel mark) vary with the
// letters, and are found beside wider word spaces (vowelled Arabic). The
// letters of the line's words must touch, at least once per gap: evenly
// letter-spaced text is no row of one-letter words.
float LineWordGapEm(const std::vector<LineChar>& chars, bool visual, const std::vector<LineBar>& bars) {
  float lo = 1e9f, hi = 0;
  int n = 0, touching = 0;
  const LineChar* prev = nullptr;
  for (const LineChar& ch : chars) {
    if (IsCombiningMark(ch.c)) continue;
    if (IsSpace(ch.c) || !IsRightToLeft(ch.c)) {
      prev = nullptr;
      continue;
    }
    if (prev != nullptr && !(visual ? JoinedByShape(ch.c, prev->c) : JoinedByShape(prev->c, ch.c))) {
      const float em = std::max(prev->size, ch.size);
      const float gap = (visual ? ch.x0 - prev->x1 : prev->x0 - ch.x1) / em;
      if (gap <= kTouchEm) {
        ++touching;
      } else if (gap < 1.0f && !BridgedByKashida(*prev, ch, bars)) {
        lo = std::min(lo, gap), hi = std::max(hi, gap);
        ++n;
      }
    }
    prev = &ch;
  }
  if (n >= kMinEvenWordGaps && touching >= n && hi < kRtlWordGapEm && lo >= kMinRtlWordGapEm &&
      hi <= kEvenWordGaps * lo)
    return lo - kTouchEm / 10;
  return kRtlWordGapEm;
}

// A letter with the combining marks (vowel signs, shadda, hamza) on it.
struct MarkedChar {
  LineChar base;
  std::vector<LineChar> marks;  // in logical order
};

// Groups each combining mark with its letter. A shaper lays a right-to-left
// word out by reversing it, marks included, so in the drawing order a
// right-to-left letter's marks come just before it ("َ" "م" for "مَ"); the
// marks of a left-to-right letter follow it. A mark's own position says
// little (a zero-width glyph, often drawn at its neighbour's edge).
std::vector<MarkedChar> GroupMarks(const std::vector<LineChar>& chars) {
  std::vector<MarkedChar> out;
  out.reserve(chars.size());
  for (size_t i = 0; i < chars.size();) {
    if (!IsCombiningMark(chars[i].c)) {
      out.push_back({chars[i], {}});
      ++i;
      continue;
    }
    size_t j = i;
    while (j < chars.size() && IsCombiningMark(chars[j].c)) ++j;
    if (j < chars.size() && IsRightToLeft(chars[j].c) && !IsSpace(chars[j].c)) {
      MarkedChar letter{chars[j], {}};
      for (size_t k = j; k > i; --k) letter.marks.push_back(chars[k - 1]);
      out.push_back(std::move(letter));
      i = j + 1;
    } else if (!out.empty()) {
      for (size_t k = i; k < j; ++k) out.back().marks.push_back(chars[k]);
      i = j;
    } else {
      for (size_t k = i; k < j; ++k) out.push_back({chars[k], {}});  // marks on nothing
      i = j;
    }
  }
  return out;
}

// A line drawn left to right (visual order) with right-to-left text, put
// into logical order with its word spaces; marks stay on their letters.
// Returns whether the line is right-to-left overall.
bool ReorderVisualLine(std::vector<LineChar>& chars, const std::vector<LineBar>& bars) {
  const float word_gap_em = LineWordGapEm(chars, true, bars);
  std::vector<MarkedChar> letters = GroupMarks(chars);
  // Word spaces between right-to-left letters, from the glyph positions.
  std::vector<MarkedChar> spaced;
  spaced.reserve(letters.size() + letters.size() / 4);
  for (size_t i = 0; i < letters.size(); ++i) {
    if (i > 0 && NeedsWordSpace(letters[i - 1].base, letters[i].base, true, bars, word_gap_em)) {
      const LineChar& a = letters[i - 1].base;
      const LineChar& b = letters[i].base;
      spaced.push_back({{' ', 0, std::min(a.x1, b.x1), std::max(a.x0, b.x0), a.size, a.y, a.font}, {}});
    }
    spaced.push_back(std::move(letters[i]));
  }
  letters = std::move(spaced);

  const auto n = static_cast<FriBidiStrIndex>(letters.size());
  std::vector<FriBidiChar> text(letters.size());
  for (size_t i = 0; i < letters.size(); ++i) text[i] = static_cast<FriBidiChar>(letters[i].base.c);
  std::vector<FriBidiCharType> types(letters.size());
  fribidi_get_bidi_types(text.data(), n, types.data());
  int rtl = 0, ltr = 0;
  for (FriBidiCharType t : types) {
    if (FRIBIDI_IS_RTL(t) && FRIBIDI_IS_STRONG(t)) ++rtl;
    if (!FRIBIDI_IS_RTL(t) && FRIBIDI_IS_STRONG(t) && FRIBIDI_IS_LETTER(t)) ++ltr;
  }
  FriBidiParType base = rtl >= ltr ? FRIBIDI_PAR_RTL : FRIBIDI_PAR_LTR;
  std::vector<FriBidiBracketType> brackets(letters.size());
  fribidi_get_bracket_types(text.data(), n, types.data(), brackets.data());
  std::vector<FriBidiLevel> levels(letters.size());
  std::vector<FriBidiStrIndex> map(letters.size());
  for (FriBidiStrIndex i = 0; i < n; ++i) map[static_cast<size_t>(i)] = i;
  // The reordering of rule L2 reverses nested runs by level; applied to the
  // visual order with each character's level it gives back the logical order
  // (the reversals of nested runs commute, so the operation is its own
  // inverse). Marks are not in `text`: they travel with their letters.
  const bool reordered =
      fribidi_get_par_embedding_levels_ex(types.data(), brackets.data(), n, &base, levels.data()) != 0 &&
      fribidi_reorder_line(FRIBIDI_FLAGS_DEFAULT, types.data(), n, 0, base, levels.data(), nullptr, map.data()) != 0;
  std::vector<LineChar> logical;
  logical.reserve(chars.size() + letters.size() / 4);
  for (FriBidiStrIndex i = 0; i < n; ++i) {
    const auto at = static_cast<size_t>(reordered ? map[static_cast<size_t>(i)] : i);
    const MarkedChar& letter = letters[at];
    logical.push_back(letter.base);
    // A right-to-left run shows a bracket by its mirror image, and the PDF
    // names the glyph it shows: the ")" drawn at the right of "(7 نقاط)" is
    // the opening bracket.
    FriBidiChar mirrored = 0;
    if (reordered && FRIBIDI_LEVEL_IS_RTL(levels[at]) &&
        fribidi_get_mirror_char(static_cast<FriBidiChar>(letter.base.c), &mirrored)) {
      logical.back().c = static_cast<char32_t>(mirrored);
    }
    logical.insert(logical.end(), letter.marks.begin(), letter.marks.end());
  }
  chars = std::move(logical);
  return reordered ? base == FRIBIDI_PAR_RTL : rtl >= ltr;
}

// After a letter whose spacing accent was just joined to it (out.back()):
// MuPDF measures the gap to the next character from the accent's pen
// position, so it can miss the word space that follows (ofs-slt.pdf:
// "získání" and "přehledu" came out one word). Adds that space.
void AddMissedSpace(const std::vector<LineChar>& chars, size_t next, std::vector<LineChar>& out) {
  const LineChar& letter = out.back();
  if (next >= chars.size() || IsSpace(chars[next].c) || CombiningForSpacingAccent(chars[next].c) != 0 ||
      chars[next].x0 - letter.x1 <= kMissedSpaceEm * letter.size) {
    return;
  }
  LineChar space = letter;
  space.c = ' ', space.mark = 0, space.x0 = letter.x1, space.x1 = chars[next].x0;
  out.push_back(space);
}

}  // namespace

void JoinSpacingAccents(std::vector<LineChar>& chars) {
  // Most lines hold no accent: leave them without copying.
  if (std::none_of(chars.begin(), chars.end(),
                   [](const LineChar& ch) { return ch.c == kDotAbove || CombiningForSpacingAccent(ch.c) != 0; }))
    return;
  std::vector<LineChar> out;
  out.reserve(chars.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    const char32_t mark = CombiningForSpacingAccent(chars[i].c);
    if (chars[i].c == kDotAbove) {
      // A row of dots over the next letter (mathematics' \ddot ... \ddddot).
      size_t j = i;
      while (j < chars.size() && chars[j].c == kDotAbove) ++j;
      const size_t dots = j - i;
      if (dots >= 2 && dots <= 4 && j < chars.size() && IsAccentBase(chars[j].c) && chars[j].mark == 0) {
        LineChar row = chars[i];
        row.x1 = chars[j - 1].x1;
        if (Over(row, chars[j])) {
          LineChar base = chars[j];
          base.mark = kDotRows[dots - 2];
          out.push_back(base);
          i = j;
          continue;
        }
      }
    }
    if (mark != 0) {
      // TeX draws the accent first, then moves back and draws the letter;
      // some generators draw the letter first.
      if (i + 1 < chars.size() && IsAccentBase(chars[i + 1].c) && chars[i + 1].mark == 0 &&
          Over(chars[i], chars[i + 1])) {
        LineChar base = chars[i + 1];
        base.mark = mark;
        out.push_back(base);
        ++i;
        AddMissedSpace(chars, i + 1, out);
        continue;
      }
      if (!out.empty() && IsAccentBase(out.back().c) && out.back().mark == 0 && Over(chars[i], out.back())) {
        out.back().mark = mark;
        AddMissedSpace(chars, i + 1, out);
        continue;
      }
    }
    out.push_back(chars[i]);
  }
  // TeX sets accented i and j on dotless letters.
  for (LineChar& ch : out) {
    if (ch.mark != 0 && ch.c == 0x0131) ch.c = 'i';
    if (ch.mark != 0 && ch.c == 0x0237) ch.c = 'j';
  }
  chars = std::move(out);
}

void MoveAccentsOntoNextLine(std::vector<LineChar>& line, std::vector<LineChar>& next) {
  if (line.empty() || next.empty() || !IsAccentBase(next.front().c) || next.front().mark != 0) return;
  size_t first = line.size();
  while (first > 0 && CombiningForSpacingAccent(line[first - 1].c) != 0) --first;
  if (first == line.size()) return;
  LineChar accents = line[first];
  accents.x0 = std::min(accents.x0, line.back().x0);
  accents.x1 = std::max(line[first].x1, line.back().x1);
  if (!Over(accents, next.front())) return;
  next.insert(next.begin(), line.begin() + static_cast<std::ptrdiff_t>(first), line.end());
  line.resize(first);
  while (!line.empty() && IsSpace(line.back().c)) line.pop_back();
}

bool IsRightToLeft(char32_t c) {
  return (c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF) ||
         (c >= 0x10800 && c <= 0x10FFF) || (c >= 0x1E800 && c <= 0x1EFFF);
}

bool VisualToLogical(std::vector<LineChar>& chars, const std::vector<LineBar>& page_bars) {
  if (std::none_of(chars.begin(), chars.end(), [](const LineChar& ch) { return IsRightToLeft(ch.c); }))
    return false;
  const std::vector<LineBar> bars = BarsNearLine(chars, page_bars);
  // Some producers (XeTeX) draw right-to-left text in visual order, left to
  // right; others (MuPDF's own writer, most word processors) in logical
  // order, the pen moving leftwards. Consecutive right-to-left letters tell.
  int rightwards = 0, leftwards = 0;
  for (size_t i = 1; i < chars.size(); ++i) {
    if (!IsRightToLeft(chars[i - 1].c) || !IsRightToLeft(chars[i].c)) continue;
    if (chars[i].x0 > chars[i - 1].x0) ++rightwards;
    if (chars[i].x0 < chars[i - 1].x0) ++leftwards;
  }
  const bool visual = rightwards >= leftwards;
  if (visual) {
    DropSpacesInsideWords(chars, bars);
    return ReorderVisualLine(chars, bars);
  }
  // Word spaces between right-to-left letters, from the glyph positions;
  // space glyphs over a kashida go.
  const float word_gap_em = LineWordGapEm(chars, false, bars);
  std::vector<LineChar> spaced;
  spaced.reserve(chars.size() + chars.size() / 4);
  for (size_t i = 0; i < chars.size(); ++i) {
    if (IsSpace(chars[i].c) && !spaced.empty() && !bars.empty()) {
      size_t next = i + 1;
      while (next < chars.size() && IsSpace(chars[next].c)) ++next;
      if (next < chars.size() && BridgedByKashida(spaced.back(), chars[next], bars)) {
        i = next - 1;
        continue;
      }
    }
    if (i > 0 && !spaced.empty() && NeedsWordSpace(spaced.back(), chars[i], false, bars, word_gap_em)) {
      const LineChar& a = chars[i - 1];
      const LineChar& b = chars[i];
      spaced.push_back({' ', 0, std::min(a.x1, b.x1), std::max(a.x0, b.x0), a.size, a.y, a.font});
    }
    spaced.push_back(chars[i]);
  }
  chars = std::move(spaced);
  DropSpacesBeforeTouchingChars(chars);
  int rtl = 0, ltr = 0;
  for (const LineChar& ch : chars) {
    if (IsRightToLeft(ch.c)) ++rtl;
    else if (ch.c < 0x2000 && ((ch.c | 0x20) >= 'a' && (ch.c | 0x20) <= 'z')) ++ltr;
  }
  return rtl >= ltr;  // already in logical order
}

}  // namespace docpipe
