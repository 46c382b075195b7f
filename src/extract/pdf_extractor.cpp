#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "extract/glyph_names.h"
#include "extract/headings.h"
#include "extract/line_order.h"
#include "extract/ocr_pages.h"
#include "extract/page_furniture.h"
#include "extract/page_image.h"
#include "extract/page_labels.h"
#include "extract/page_layout.h"
#include "extract/pdf/content_repair.h"
#include "extract/pdf/layout_device.h"
#include "extract/private_use_glyphs.h"
#include "extract/text_decode.h"
#include "extract/text_normalizer.h"

namespace docpipe {
namespace {

// The resource store (fonts, decoded streams) is shared by all pages; a cap
// keeps long documents flat in memory while leaving room for font reuse.
constexpr size_t kStoreBytes = 64u << 20;
constexpr size_t kMinStoreBytes = 16u << 20;  // per reader context when pages are read in parallel
constexpr size_t kMaxWarningSamples = 20;
constexpr int kHeadBytes = 1024;
constexpr int kTailBytes = 2048;
constexpr float kMaxMarkSizeRatio = 0.8f;  // a footnote mark is set smaller than the word after it (LaTeX: 7 of 10 pt)
// MuPDF puts a space only at gaps of 0.15 em or more; a justified line may
// shrink a word space below that (bidi.pdf's contents: "File" and then its
// typewriter name 0.145 em apart). Between a letter or digit and another
// where the type changes between bold and not, or to or from a typewriter
// face, a gap this wide is a word space: kerning never spans two fonts.
// Punctuation is left out: a typewriter brace or parenthesis sits in a
// cell wider than its glyph ("\caption{...}", "Write(").
constexpr float kStyleChangeSpaceEm = 0.1f;
// MuPDF's 0.15 em also misses word spaces that a justified line shrank, and
// the 0.15 em kern of TeX's "LaTeX 2ε", within one face: a gap this wide
// after a word of at least two letters set tight (its last two letters under
// kTightGapEm apart) is a word space. Letter-spaced words ("p r o b l e m s",
// a listing's "r o o t" in fixed columns) have a gap before every letter,
// and slanted faces overhang their advance (math italic "F eb").
constexpr float kShrunkSpaceEm = 0.12f;
constexpr float kTightGapEm = 0.06f;

// ---- MuPDF glue ------------------------------------------------------------
// MuPDF reports errors by longjmp. Every fz_try lives in one of these small
// functions holding only C data, so no jump ever skips a C++ destructor.

struct Diagnostics {
  int warning_count = 0;
  std::vector<std::string> warnings;
  void Add(const char* message) noexcept {
    ++warning_count;
    try {
      if (warnings.size() < kMaxWarningSamples) warnings.emplace_back(message);
    } catch (...) {  // out of memory while recording a warning: count only
    }
  }
};

void OnWarning(void* user, const char* message) { static_cast<Diagnostics*>(user)->Add(message); }
void OnError(void*, const char*) {}  // errors surface through fz_catch

struct ContextDeleter {
  void operator()(fz_context* ctx) const { fz_drop_context(ctx); }
};
using ContextPtr = std::unique_ptr<fz_context, ContextDeleter>;

using ErrorText = char[256];

void CopyCaught(fz_context* ctx, ErrorText err) { std::snprintf(err, sizeof(ErrorText), "%s", fz_caught_message(ctx)); }

pdf_document* OpenPdf(fz_context* ctx, const char* path, ErrorText err) {
  pdf_document* doc = nullptr;
  fz_var(doc);
  fz_try(ctx) doc = pdf_open_document(ctx, path);
  fz_catch(ctx) {
    CopyCaught(ctx, err);
    return nullptr;
  }
  return doc;
}

// Returns the page count, or -1 with `err` set.
int CountPages(fz_context* ctx, pdf_document* doc, ErrorText err) {
  int n = -1;
  fz_var(n);
  fz_try(ctx) n = pdf_count_pages(ctx, doc);
  fz_catch(ctx) {
    CopyCaught(ctx, err);
    return -1;
  }
  return n;
}

// Whether the document is readable: not encrypted, or opened by the empty
// user password (owner-password-only files).
bool Unlocked(fz_context* ctx, pdf_document* doc) {
  int ok = 0;
  fz_var(ok);
  fz_try(ctx) ok = !pdf_needs_password(ctx, doc) || pdf_authenticate_password(ctx, doc, "");
  fz_catch(ctx) ok = 0;
  return ok != 0;
}

void LookupTitle(fz_context* ctx, pdf_document* doc, char* buf, int size) {
  buf[0] = '\0';
  fz_try(ctx) {
    if (fz_lookup_metadata(ctx, &doc->super, FZ_META_INFO_TITLE, buf, size) < 0) buf[0] = '\0';
  }
  fz_catch(ctx) buf[0] = '\0';
}

// Structured text of page `index`, or nullptr with `err` set; the page's
// rules and boxes go to `graphics` in the same pass. The page is dropped
// before returning: only its text outlives the call.
fz_stext_page* LoadTextPage(fz_context* ctx, pdf_document* doc, int index, fz_cookie* cookie,
                            PageGraphics* graphics, ErrorText err) {
  fz_page* page = nullptr;
  fz_device* dev = nullptr;
  fz_device* recovery = nullptr;  // unmapped glyphs named by the font (glyph_names.h)
  fz_device* layout = nullptr;    // rules and boxes; text passed on to `recovery`
  fz_stext_page* text = nullptr;
  fz_var(page);
  fz_var(dev);
  fz_var(recovery);
  fz_var(layout);
  fz_var(text);
  fz_try(ctx) {
    page = fz_load_page(ctx, &doc->super, index);
    const fz_rect bounds = fz_bound_page(ctx, page);
    text = fz_new_stext_page(ctx, bounds);
    fz_stext_options options = {FZ_STEXT_MEDIABOX_CLIP, 1.0f};
    dev = fz_new_stext_device(ctx, text, &options);
    recovery = NewGlyphNameRecoveryDevice(ctx, dev);
    layout = NewLayoutDevice(ctx, recovery, bounds, graphics);
    fz_run_page(ctx, page, layout, fz_identity, cookie);
    fz_close_device(ctx, layout);
    fz_close_device(ctx, recovery);
    fz_close_device(ctx, dev);
  }
  fz_always(ctx) {
    fz_drop_device(ctx, layout);
    fz_drop_device(ctx, recovery);
    fz_drop_device(ctx, dev);
    fz_drop_page(ctx, page);
  }
  fz_catch(ctx) {
    CopyCaught(ctx, err);
    fz_drop_stext_page(ctx, text);
    return nullptr;
  }
  return text;
}

// The document outline, or nullptr (none, or unreadable).
fz_outline* LoadOutline(fz_context* ctx, pdf_document* doc) {
  fz_outline* outline = nullptr;
  fz_var(outline);
  fz_try(ctx) outline = fz_load_outline(ctx, &doc->super);
  fz_catch(ctx) outline = nullptr;
  return outline;
}

// 0-based page of an outline target, or -1.
int OutlinePage(fz_context* ctx, pdf_document* doc, fz_location loc) {
  int n = -1;
  fz_var(n);
  fz_try(ctx) n = loc.page < 0 ? -1 : fz_page_number_from_location(ctx, &doc->super, loc);
  fz_catch(ctx) n = -1;
  return n;
}

constexpr int kMaxLabelRanges = 512;
constexpr int kMaxLabelPrefix = 64;
struct LabelRangeC {
  int first;
  char style;
  int start;
  char prefix[kMaxLabelPrefix];
};

// Walks a /PageLabels number tree (depth-limited: trees can be cyclic).
void WalkLabels(fz_context* ctx, pdf_obj* node, int depth, LabelRangeC* out, int* n) {
  if (!node || depth > 8) return;
  pdf_obj* nums = pdf_dict_get(ctx, node, PDF_NAME(Nums));
  for (int i = 0; i + 1 < pdf_array_len(ctx, nums) && *n < kMaxLabelRanges; i += 2) {
    pdf_obj* dict = pdf_array_get(ctx, nums, i + 1);
    LabelRangeC& r = out[(*n)++];
    r.first = pdf_to_int(ctx, pdf_array_get(ctx, nums, i));
    const char* style = pdf_to_name(ctx, pdf_dict_get(ctx, dict, PDF_NAME(S)));
    r.style = style[0] != '\0' ? style[0] : 0;
    pdf_obj* st = pdf_dict_gets(ctx, dict, "St");
    r.start = st ? pdf_to_int(ctx, st) : 1;
    std::snprintf(r.prefix, sizeof r.prefix, "%s", pdf_to_text_string(ctx, pdf_dict_get(ctx, dict, PDF_NAME(P))));
  }
  pdf_obj* kids = pdf_dict_get(ctx, node, PDF_NAME(Kids));
  for (int i = 0; i < pdf_array_len(ctx, kids); ++i) WalkLabels(ctx, pdf_array_get(ctx, kids, i), depth + 1, out, n);
}

// Number of ranges of the document's /PageLabels written to `out`; 0 when
// it has none or they cannot be read.
int LoadPageLabels(fz_context* ctx, pdf_document* doc, LabelRangeC* out) {
  int n = 0;
  fz_var(n);
  fz_try(ctx) WalkLabels(ctx, pdf_dict_getp(ctx, pdf_trailer(ctx, doc), "Root/PageLabels"), 0, out, &n);
  fz_catch(ctx) n = 0;
  return n;
}

struct StextPageDeleter {
  fz_context* ctx;
  void operator()(fz_stext_page* p) const { fz_drop_stext_page(ctx, p); }
};

struct DocumentDeleter {
  fz_context* ctx;
  void operator()(pdf_document* d) const { pdf_drop_document(ctx, d); }
};

// ---- Layout from structured text --------------------------------------------

struct FontStyle {
  bool bold = false;
  bool mono = false;
  bool slanted = false;  // italic, oblique, or TeX's math italic: glyphs overhang their advance
};

bool NameHas(const char* name, const char* part) { return std::strstr(name, part) != nullptr; }

FontStyle StyleOfFont(fz_context* ctx, fz_font* font) {
  const char* name = fz_font_name(ctx, font);
  if (const char* plus = std::strchr(name, '+')) name = plus + 1;  // subset tag
  FontStyle s;
  s.bold = fz_font_is_bold(ctx, font) || NameHas(name, "Bold") || NameHas(name, "Black") ||
           NameHas(name, "Heavy") || NameHas(name, "Semibold") || NameHas(name, "CMBX") ||
           NameHas(name, "SFBX");
  s.mono = fz_font_is_monospaced(ctx, font) || NameHas(name, "Mono") || NameHas(name, "Courier") ||
           NameHas(name, "CMTT") || NameHas(name, "SFTT") || NameHas(name, "Consolas");
  s.slanted = fz_font_is_italic(ctx, font) || NameHas(name, "Ital") || NameHas(name, "Oblique") ||
              NameHas(name, "Slant") || NameHas(name, "CMMI") || NameHas(name, "CMTI") || NameHas(name, "CMSL") ||
              NameHas(name, "Math");
  return s;
}

void AppendUtf8(std::string& out, int c) {
  char buf[8];
  int n = fz_runetochar(buf, c);
  out.append(buf, static_cast<size_t>(n));
}

bool IsHorizontal(const fz_stext_line* l) { return l->wmode == 0 && std::abs(l->dir.y) < 0.1f && l->dir.x > 0; }

// Text set along a slanted, rotated or upside-down baseline (a calendar
// turned 156° or 180°, a table's column heads turned 90°); vertical CJK
// writing (wmode 1) is not.
bool IsRotated(const fz_stext_line* l) { return l->wmode == 0 && !IsHorizontal(l); }

// A gap between the characters of a rotated line, in em, that is a word
// space: MuPDF's own threshold for horizontal text.
constexpr float kRotatedWordSpaceEm = 0.15f;
// A move across a rotated line's baseline, in median advances of its
// characters, that leaves the row: more than a superscript's raise (about
// 0.35 em, 0.7 of a Latin advance). arabi's turned calendars set their day
// names 1.3 advances apart.
constexpr float kRotatedRowJump = 1.0f;

// The median advance of `chars` (placed along their baseline), 0 for none.
float MedianAdvance(const std::vector<LineChar>& chars) {
  std::vector<float> advances;
  for (const LineChar& ch : chars)
    if (ch.c != ' ') advances.push_back(ch.x1 - ch.x0);
  if (advances.empty()) return 0;
  std::nth_element(advances.begin(), advances.begin() + advances.size() / 2, advances.end());
  return advances[advances.size() / 2];
}

// The characters of each MuPDF line of `b` in reading order (line_order.h):
// spacing accents joined (also those MuPDF left at the end of the line
// before their letter's), right-to-left runs in logical order. Characters
// still without a Unicode mapping (U+FFFD) are counted in *unmapped and kept
// as place holders for the ordering (a word they break is split there); the
// caller drops them: they must never reach the index. `bars`: the page's
// rules and short bars (kashidas drawn as rules, VisualToLogical).
// A rotated line's characters are placed along its own baseline (x along
// its direction, y across it), as if it were set horizontally: its word
// gaps and right-to-left words are then read as a horizontal line's are.
std::vector<std::vector<LineChar>> ReadingOrderChars(fz_stext_block* b, const std::vector<LineBar>& bars,
                                                     int* unmapped) {
  std::vector<std::vector<LineChar>> lines;
  for (fz_stext_line* l = b->u.t.first_line; l; l = l->next) {
    std::vector<LineChar>& chars = lines.emplace_back();
    size_t count = 0;
    for (fz_stext_char* ch = l->first_char; ch; ch = ch->next) ++count;
    chars.reserve(count);
    const bool rotated = IsRotated(l);
    const fz_point along = l->dir, across = {-l->dir.y, l->dir.x};
    for (fz_stext_char* ch = l->first_char; ch; ch = ch->next) {
      if (ch->c == 0xFFFD) ++*unmapped;
      float left = std::min(ch->quad.ll.x, ch->quad.ul.x);
      float right = std::max(ch->quad.lr.x, ch->quad.ur.x);
      float baseline = ch->origin.y;
      if (rotated) {  // the advance along the baseline: a glyph box's top may lean (italics, Type 3 fonts)
        const float start = ch->quad.ll.x * along.x + ch->quad.ll.y * along.y;
        const float end = ch->quad.lr.x * along.x + ch->quad.lr.y * along.y;
        left = std::min(start, end);
        right = std::max(start, end);
        baseline = ch->origin.x * across.x + ch->origin.y * across.y;
      }
      chars.push_back({static_cast<char32_t>(ch->c), 0, left, right, ch->size, baseline, ch->font});
    }
  }
  size_t i = 0;
  for (fz_stext_line* l = b->u.t.first_line; l; l = l->next, ++i) {
    if (l->wmode != 0) continue;  // vertical writing: as drawn
    // A raised accent MuPDF put at the end of the line before: same row.
    if (IsHorizontal(l) && l->next && IsHorizontal(l->next) && l->bbox.y0 < l->next->bbox.y1 &&
        l->next->bbox.y0 < l->bbox.y1)
      MoveAccentsOntoNextLine(lines[i], lines[i + 1]);
    JoinSpacingAccents(lines[i]);
    // The page's bars lie along the page, not along a rotated line.
    VisualToLogical(lines[i], IsRotated(l) ? std::vector<LineBar>() : bars);
  }
  return lines;
}

// How many letters or digits end `text`, counted up to 2 (0 when it ends
// otherwise). A letter-spaced word ("p r o b l e m s", a listing's "r o o t"
// in fixed columns) has one letter before each gap; a word before a word
// space has more.
int TrailingWordLetters(const std::string& text) {
  int n = 0;
  for (int32_t i = static_cast<int32_t>(text.size()); i > 0 && n < 2;) {
    UChar32 c = 0;
    U8_PREV(reinterpret_cast<const uint8_t*>(text.data()), 0, i, c);
    if (!u_isalnum(c)) break;
    ++n;
  }
  return n;
}

// Whether a word space MuPDF missed belongs before `c`, in the same span as
// `text` (kShrunkSpaceEm): an upright, proportional face, a wide enough gap,
// and a word of two or more tightly set letters before it.
bool ShrunkWordSpace(const FontStyle& style, float gap_em, float gap_before_last, const std::string& text,
                     char32_t c, bool horizontal) {
  return horizontal && !style.mono && !style.slanted && gap_em >= kShrunkSpaceEm && gap_before_last < kTightGapEm &&
         !IsRightToLeft(c) && u_isalnum(static_cast<UChar32>(c)) && TrailingWordLetters(text) >= 2;
}

// Whether the line's last span is a footnote or affiliation mark set before
// the word that `next` starts ("¹This is the footnote", "¹Universität"):
// a span of its own of digits or *, †, ‡, §, ¶, smaller than the letter
// after it, that starts the line or follows a space. LaTeX leaves no space
// there, and the mark glued to the word hid the word from search.
bool IsMarkBeforeWord(const TextLine& line, const LineChar& next) {
  const TextSpan& mark = line.spans.back();
  if (!u_isalpha(static_cast<UChar32>(next.c)) || mark.size > kMaxMarkSizeRatio * next.size) return false;
  if (line.spans.size() > 1) {
    const std::string& before = line.spans[line.spans.size() - 2].text;
    if (before.empty() || before.back() != ' ') return false;
  }
  if (mark.text.empty() || mark.text.size() > 12) return false;
  const auto* text = reinterpret_cast<const uint8_t*>(mark.text.data());
  const int32_t length = static_cast<int32_t>(mark.text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(text, i, length, c);
    // Digits of any script ("๒" in Thai), *, dagger, double dagger, section, pilcrow.
    if (!u_isdigit(c) && c != '*' && c != 0x2020 && c != 0x2021 && c != 0xA7 && c != 0xB6) return false;
  }
  return true;
}

// Fonts that carry neither a monospace flag nor a telling name (TeX's
// bitmap fonts are "Unnamed-T3") but whose narrow and wide Latin letters
// are equally wide on this page: monospaced. A font that shows letters of
// other scripts is left alone (a CJK font's half-width Latin is even);
// punctuation and symbols ("‘", "⟨") are no script.
// The narrow characters of a proportional Latin font.
bool IsNarrowLetter(int c) {
  switch (c) {
    case 'i': case 'l': case 'j': case 't': case 'f': case '.': case ',': case ';': case ':': case '!': case '|':
    case '\'':
      return true;
    default:
      return false;
  }
}

std::unordered_set<const void*> MonospacedByWidth(const fz_stext_page* text) {
  struct Widths {
    float narrow_min = 1e9f, narrow_max = 0, wide_min = 1e9f, wide_max = 0;
    bool other_script = false;
  };
  std::unordered_map<const void*, Widths> fonts;  // node-based: pointers to its values stay valid
  const void* last_font = nullptr;
  Widths* last_widths = nullptr;
  for (const fz_stext_block* b = text->first_block; b; b = b->next) {
    if (b->type != FZ_STEXT_BLOCK_TEXT) continue;
    for (const fz_stext_line* l = b->u.t.first_line; l; l = l->next) {
      if (!IsHorizontal(l)) continue;
      for (const fz_stext_char* ch = l->first_char; ch; ch = ch->next) {
        if (ch->size <= 0) continue;
        if (ch->font != last_font || last_widths == nullptr) {  // runs of one font: one lookup per run
          last_font = ch->font;
          last_widths = &fonts[ch->font];
        }
        Widths& w = *last_widths;
        if (ch->c >= 0x250) {
          UErrorCode err = U_ZERO_ERROR;
          const UScriptCode script = uscript_getScript(ch->c, &err);
          if (U_SUCCESS(err) && script != USCRIPT_LATIN && script != USCRIPT_COMMON && script != USCRIPT_INHERITED)
            w.other_script = true;
          continue;
        }
        const bool narrow = IsNarrowLetter(ch->c);
        const bool wide = ch->c == 'm' || ch->c == 'w' || ch->c == 'M' || ch->c == 'W';
        if (!narrow && !wide) continue;
        // The advance along the baseline, whatever the text's direction.
        const float em = std::hypot(ch->quad.ur.x - ch->quad.ul.x, ch->quad.ur.y - ch->quad.ul.y) / ch->size;
        if (em < 0.1f) continue;  // zero-width or degenerate quads tell nothing
        if (narrow) w.narrow_min = std::min(w.narrow_min, em), w.narrow_max = std::max(w.narrow_max, em);
        else w.wide_min = std::min(w.wide_min, em), w.wide_max = std::max(w.wide_max, em);
      }
    }
  }
  // In a proportional font "i" is a third as wide as "m"; in a monospaced
  // one they differ by rounding only.
  constexpr float kSameWidth = 1.06f;
  std::unordered_set<const void*> mono;
  for (const auto& [font, w] : fonts) {
    if (w.other_script || w.narrow_max == 0 || w.wide_max == 0) continue;
    const float lo = std::min(w.narrow_min, w.wide_min), hi = std::max(w.narrow_max, w.wide_max);
    if (hi <= kSameWidth * lo) mono.insert(font);
  }
  return mono;
}

// Converts MuPDF's text page into our layout, splitting lines into spans at
// style changes and at gaps wider than kCellGapEm. Stops after `max_chars`
// characters, setting *truncated. Text is normalised (text_normalizer.h).
// Stops early, with part of the page, once `cookie` is aborted (looked at
// every line: a page of 20,000 words takes a while on a loaded machine).
PageLayout BuildLayout(fz_context* ctx, fz_stext_page* text, const PageGraphics& graphics, int64_t max_chars,
                       const fz_cookie& cookie, int64_t* chars, bool* truncated, int* unmapped) {
  PageLayout layout;
  // Shapes that may be kashidas: short bars, and rules and filled boxes no
  // thicker (a large title's kashida is a box: 0.17 em is 7.6 pt at 45 pt).
  std::vector<LineBar> bars;
  bars.reserve(graphics.rules.size() + graphics.bars.size() + graphics.boxes.size());
  for (const Rule& r : graphics.bars) bars.push_back({r.x0, r.y0, r.x1, r.y1});
  for (const Rule& r : graphics.rules) {
    if (r.y1 - r.y0 <= kMaxBarThickness) bars.push_back({r.x0, r.y0, r.x1, r.y1});
  }
  for (const Box& b : graphics.boxes) {
    if (b.filled && b.y1 - b.y0 <= kMaxBarThickness) bars.push_back({b.x0, b.y0, b.x1, b.y1});
  }
  layout.width = text->mediabox.x1 - text->mediabox.x0;
  layout.height = text->mediabox.y1 - text->mediabox.y0;
  std::unordered_map<const void*, FontStyle> styles;  // node-based: pointers to its values stay valid
  const void* last_font = nullptr;
  const FontStyle* last_style = nullptr;
  const std::unordered_set<const void*> mono_by_width = MonospacedByWidth(text);
  *chars = 0;
  *truncated = false;
  *unmapped = 0;
  for (fz_stext_block* b = text->first_block; b && !*truncated && !cookie.abort; b = b->next) {
    if (b->type != FZ_STEXT_BLOCK_TEXT) continue;
    TextBlock block;
    block.x0 = b->bbox.x0, block.y0 = b->bbox.y0, block.x1 = b->bbox.x1, block.y1 = b->bbox.y1;
    const std::vector<std::vector<LineChar>> block_chars = ReadingOrderChars(b, bars, unmapped);
    size_t line_index = 0;
    for (fz_stext_line* l = b->u.t.first_line; l && !*truncated && !cookie.abort; l = l->next) {
      TextLine line{{}, l->bbox.x0, l->bbox.y0, l->bbox.x1, l->bbox.y1};
      const bool horizontal = IsHorizontal(l);
      const bool rotated = IsRotated(l);  // its characters placed along its baseline (ReadingOrderChars)
      const std::vector<LineChar>& line_chars = block_chars[line_index++];
      bool pending_space = false;
      // MuPDF may join the rows of a turned table into one line: a move
      // across the baseline of more than kRotatedRowJump median advances
      // starts another word.
      const float row_jump = rotated ? kRotatedRowJump * MedianAdvance(line_chars) : 0;
      float last_baseline = 0;
      float baseline_size = 0;
      float gap_before_last = kCellGapEm;  // in em, between the last two characters put in the line's text
      for (const LineChar& ch : line_chars) {
        if (horizontal && ch.size > baseline_size && ch.c != ' ') baseline_size = ch.size, line.baseline = ch.y;
        if (*chars >= max_chars) {
          *truncated = true;
          break;
        }
        if (ch.c == ' ' || ch.c == '\t' || ch.c == 0xA0) {
          pending_space = !line.spans.empty();
          continue;
        }
        if (ch.c < 0x20 || ch.c == 0xFFFD) continue;
        if (ch.font != last_font || last_style == nullptr) {  // runs of one font: one lookup per run
          auto [it, inserted] = styles.try_emplace(ch.font);
          if (inserted) {
            it->second = StyleOfFont(ctx, static_cast<fz_font*>(const_cast<void*>(ch.font)));
            it->second.mono = it->second.mono || mono_by_width.count(ch.font) > 0;
          }
          last_font = ch.font;
          last_style = &it->second;
        }
        const FontStyle style = *last_style;
        TextSpan* span = line.spans.empty() ? nullptr : &line.spans.back();
        // Distance from the span so far, on either side: right-to-left lines
        // run leftwards, with left-to-right runs (numbers) inside. Wide gaps
        // separate cells; narrower ones still start a span (ruled tables).
        const float gap_width = span ? std::max(ch.x0 - span->x1, span->x0 - ch.x1) : 0;
        const float gap_em = span && ch.size > 0 ? gap_width / ch.size : 0;
        const bool gap = horizontal && span && gap_em > kCellGapEm;
        const bool split = horizontal && span && gap_em > kSpanGapEm;
        // MuPDF leaves no space where a rotated line's text was drawn out of
        // order (an upside-down calendar's numbers).
        const bool rotated_space =
            rotated && span && (gap_em >= kRotatedWordSpaceEm || std::abs(ch.y - last_baseline) > row_jump);
        last_baseline = ch.y;
        if (!span || split || span->bold != style.bold || span->mono != style.mono ||
            std::abs(span->size - ch.size) > 0.25f) {
          const bool mark_before = span && !pending_space && !split && IsMarkBeforeWord(line, ch);
          const bool face_changed = span && (span->bold != style.bold || span->mono != style.mono);
          const bool spaced_face_change = horizontal && face_changed && gap_em >= kStyleChangeSpaceEm &&
                                          TrailingWordLetters(span->text) >= 1 && u_isalnum(static_cast<UChar32>(ch.c));
          if (span && (pending_space || split || mark_before || spaced_face_change || rotated_space) && !gap)
            span->text += ' ';
          line.spans.push_back(
              TextSpan{{}, ch.x0, ch.x1, ch.size, style.bold, style.mono, 0, gap, horizontal ? gap_em : 0});
          span = &line.spans.back();
        } else if (pending_space || rotated_space ||
                   ShrunkWordSpace(style, gap_em, gap_before_last, span->text, ch.c, horizontal)) {
          span->text += ' ';
          ++span->chars;
          ++*chars;
        }
        gap_before_last = pending_space || span->chars == 0 ? kCellGapEm : gap_em;
        pending_space = false;
        AppendUtf8(span->text, static_cast<int>(ch.c));
        if (ch.mark != 0) AppendUtf8(span->text, static_cast<int>(ch.mark));
        ++span->chars;
        ++*chars;
        span->x0 = std::min(span->x0, ch.x0);
        span->x1 = std::max(span->x1, ch.x1);
      }
      // The spans of a rotated line were measured along its baseline: on the
      // page they cover its box.
      if (rotated) {
        for (TextSpan& sp : line.spans) sp.x0 = l->bbox.x0, sp.x1 = l->bbox.x1;
      }
      if (!line.spans.empty()) block.lines.push_back(std::move(line));
    }
    if (!block.lines.empty()) layout.blocks.push_back(std::move(block));
  }
  if (!cookie.abort) NormalizeLayoutText(layout);
  return layout;
}

std::vector<PageLabelRange> PageLabelRanges(fz_context* ctx, pdf_document* doc) {
  auto raw = std::make_unique<LabelRangeC[]>(kMaxLabelRanges);
  const int n = LoadPageLabels(ctx, doc, raw.get());
  std::vector<PageLabelRange> ranges;
  for (int i = 0; i < n; ++i) ranges.push_back({raw[i].first, raw[i].style, raw[i].prefix, raw[i].start});
  std::sort(ranges.begin(), ranges.end(), [](const PageLabelRange& a, const PageLabelRange& b) { return a.first < b.first; });
  return ranges;
}

void FlattenOutline(fz_context* ctx, pdf_document* doc, fz_outline* node, int level,
                    std::vector<OutlineEntry>* out) {
  for (; node != nullptr && out->size() < 100000; node = node->next) {
    if (node->title != nullptr) {
      const int page = OutlinePage(ctx, doc, node->page);
      out->push_back({level, node->title, page >= 0 ? page + 1 : 0, node->y});
    }
    if (level < 32) FlattenOutline(ctx, doc, node->down, level + 1, out);
  }
}

std::vector<OutlineEntry> Outline(fz_context* ctx, pdf_document* doc) {
  std::vector<OutlineEntry> entries;
  fz_outline* outline = LoadOutline(ctx, doc);
  if (outline == nullptr) return entries;
  FlattenOutline(ctx, doc, outline, 1, &entries);
  fz_drop_outline(ctx, outline);
  return entries;
}

// ---- Deadline and cancellation -------------------------------------------------

// Sets the readers' cookie->abort from a helper thread when the deadline
// passes or the caller cancels, so that even one slow page stops promptly. It waits on the
// options' clock (a fake one in tests); the cancel flag is set without a
// wake-up, so it is looked at every kPollMs.
class AbortWatch {
 public:
  static constexpr int64_t kPollMs = 10;

  AbortWatch(const ExtractOptions& options, std::vector<fz_cookie*> cookies)
      : options_(options),
        cookies_(std::move(cookies)),
        system_clock_(options.clock == nullptr ? NewSystemClock() : nullptr),
        clock_(options.clock != nullptr ? *options.clock : *system_clock_) {
    if (options.deadline_ms > 0 || options.cancel) thread_ = std::thread([this] { Run(); });
  }
  ~AbortWatch() {
    stop_.Stop();
    if (thread_.joinable()) thread_.join();
  }
  AbortWatch(const AbortWatch&) = delete;
  AbortWatch& operator=(const AbortWatch&) = delete;

  //! Why extraction must stop now, or OK.
  Status Check(const std::string& name, int pages_done, int page_count) const {
    std::string where = name + ": stopped after " + std::to_string(pages_done) + " of " +
                        std::to_string(page_count) + " pages";
    if (options_.cancel && options_.cancel->load()) return Status::Cancelled(where + " (cancelled)");
    if (DeadlinePassed()) return Status::Timeout(where + " (deadline passed)");
    return Status::Ok();
  }

 private:
  bool DeadlinePassed() const { return options_.deadline_ms > 0 && clock_.NowMs() >= options_.deadline_ms; }

  void Run() {
    do {
      if ((options_.cancel && options_.cancel->load()) || DeadlinePassed()) {
        for (fz_cookie* cookie : cookies_) cookie->abort = 1;
        return;
      }
    } while (!clock_.WaitFor(NextWaitMs(), stop_));
  }

  int64_t NextWaitMs() const {
    if (options_.deadline_ms <= 0) return kPollMs;
    return std::clamp<int64_t>(options_.deadline_ms - clock_.NowMs(), 1, kPollMs);
  }

  const ExtractOptions& options_;
  const std::vector<fz_cookie*> cookies_;  // one per page reader
  std::unique_ptr<Clock> system_clock_;  // when the options name no clock
  Clock& clock_;
  StopSignal stop_;
  std::thread thread_;
};

// ---- Reading pages, on one thread or several -------------------------------------

void OnPageWarning(void* user, const char* message) {
  if (user == nullptr) return;
  try {
    static_cast<std::vector<std::string>*>(user)->emplace_back(message);
  } catch (...) {  // out of memory while recording a warning: dropped
  }
}

// One thread's view of the document. MuPDF contexts and documents are not
// thread-safe, so each reader thread has its own context and its own open
// document (measured against one document shared through cloned contexts
// and locks: see bench/pipeline/README.md); the serial path borrows the
// extraction's own.
struct PageReader {
  ContextPtr owner;
  fz_context* ctx = nullptr;
  std::unique_ptr<pdf_document, DocumentDeleter> owned_doc{nullptr, DocumentDeleter{nullptr}};
  pdf_document* doc = nullptr;
  fz_cookie cookie = {};

  // Opens `path` in a context of its own.
  Status Open(const std::string& path, const std::string& name, size_t store_bytes) {
    owner.reset(fz_new_context(nullptr, nullptr, store_bytes));
    if (!owner) return Status::Internal(name + ": cannot create MuPDF context");
    ctx = owner.get();
    fz_set_warning_callback(ctx, OnPageWarning, nullptr);  // document-level warnings: reported once, by the main context
    fz_set_error_callback(ctx, OnError, nullptr);
    ErrorText err = "";
    owned_doc = std::unique_ptr<pdf_document, DocumentDeleter>(OpenPdf(ctx, path.c_str(), err), DocumentDeleter{ctx});
    if (!owned_doc) return Status::InvalidInput(name + ": cannot open PDF: " + err);
    if (!Unlocked(ctx, owned_doc.get())) return Status::InvalidInput(name + ": encrypted PDF requires a password");
    doc = owned_doc.get();
    return Status::Ok();
  }
};

// Everything the extractor learns from one page alone. Whatever depends on
// other pages (body size, running headers, heading levels) is done later, in
// page order, so that the output is the same for any number of readers.
struct PageRead {
  ExtractedPage page;
  PageLayout layout;               // lines normalized (NormalizeLines); an OCR page's fallback
  bool wants_ocr = false;          // read the page by OCR (RenderForOcr draws its image)
  bool failed = false;             // MuPDF could not read the page (`error` says why)
  std::string error;
  bool aborted = false;            // the deadline or a cancel stopped the read
  Status fatal;                    // the reader itself failed: the extraction fails with it
  std::vector<std::string> warnings;  // in the order they arose
};

// Reads page `index` with `reader`: text, rules and boxes, and the page
// image when the page must be read by OCR.
PageRead ReadPage(PageReader& reader, int index, const ExtractOptions& options, bool can_ocr) {
  PageRead r;
  r.page.number = index + 1;
  fz_context* ctx = reader.ctx;
  void* saved_user = nullptr;
  fz_warning_cb* saved = fz_warning_callback(ctx, &saved_user);
  fz_set_warning_callback(ctx, OnPageWarning, &r.warnings);
  ErrorText err = "";
  PageGraphics graphics;
  std::unique_ptr<fz_stext_page, StextPageDeleter> text(
      LoadTextPage(ctx, reader.doc, index, &reader.cookie, &graphics, err), StextPageDeleter{ctx});
  // MuPDF stopped reading the page at its 100th syntax error: read it again
  // without the unknown operators, if they were the errors.
  fz_flush_warnings(ctx);
  if (text && !reader.cookie.abort &&
      std::find(r.warnings.begin(), r.warnings.end(), kTooManySyntaxErrors) != r.warnings.end()) {
    if (const int removed = RemoveUnknownOperators(ctx, reader.doc, index); removed > 0) {
      r.warnings.clear();
      graphics = PageGraphics();
      text.reset(LoadTextPage(ctx, reader.doc, index, &reader.cookie, &graphics, err));
      r.warnings.push_back("page " + std::to_string(r.page.number) + ": " + std::to_string(removed) +
                           " unknown operators skipped in the page's content");
    }
  }
  auto done = [&]() -> PageRead {
    fz_flush_warnings(ctx);
    fz_set_warning_callback(ctx, saved, saved_user);
    return std::move(r);
  };
  // A page whose reading the deadline cut is of no use: no layout work on it.
  if (text && reader.cookie.abort) {
    r.aborted = true;
    return done();
  }
  if (!text) {
    if (reader.cookie.abort) r.aborted = true;
    // One broken page should not cost the whole document: it is passed on
    // empty (no text layer) and reported as a warning.
    r.failed = true;
    r.error = err;
    r.warnings.push_back("page " + std::to_string(r.page.number) + ": " + err);
    r.page.has_text_layer = false;
    r.page.chars = 0;
    return done();
  }
  ExtractedPage& page = r.page;
  r.layout = BuildLayout(ctx, text.get(), graphics, options.max_page_chars, reader.cookie, &page.chars,
                         &page.truncated, &page.unmapped_chars);
  text.reset();
  if (reader.cookie.abort) {
    r.aborted = true;
    return done();
  }
  r.layout.rules = std::move(graphics.rules);
  r.layout.boxes = std::move(graphics.boxes);
  page.has_text_layer = page.chars > 0;
  if (page.truncated)
    r.warnings.push_back("page " + std::to_string(page.number) + ": text truncated at " +
                         std::to_string(options.max_page_chars) + " characters");
  // Pages without text, or whose text is mostly unmapped glyphs, are read
  // from their image.
  if (can_ocr && (page.chars == 0 || TextIsUnusable(r.layout, page.unmapped_chars))) {
    page.ocr_reason = page.chars == 0 ? "no_text_layer" : "unusable_text";
    r.wants_ocr = true;
  }
  NormalizeLines(r.layout);
  return done();
}

// The 300-dpi image of a page to OCR, drawn when the OCR pool has room for
// it rather than by the reader threads as they read ahead: a read-ahead
// window of rendered pages held 8 MB each (and their decoded scans in every
// reader's store), the larger part of the peak RSS of OCR. Empty for a blank
// page (nothing to read; ocr_reason stays: it was looked at) or one that
// cannot be drawn (a warning says why).
std::optional<OcrImage> RenderForOcr(PageReader& reader, PageRead& r) {
  ErrorText err = "";
  OcrImage image;
  const bool drawn = RenderPageGray(reader.ctx, &reader.doc->super, r.page.number - 1, kOcrDpi, &reader.cookie,
                                    &image, err, sizeof err);
  // A scanned page's decoded image is used once: it leaves the store
  // instead of waiting there for the next pages' (fonts, if any, reload).
  fz_empty_store(reader.ctx);
  if (!drawn) {
    if (reader.cookie.abort) {
      r.aborted = true;
    } else {
      r.warnings.push_back("page " + std::to_string(r.page.number) + ": cannot render for OCR: " + err);
    }
    return std::nullopt;
  }
  if (IsBlankImage(image)) return std::nullopt;
  return image;
}

// What a document's private-use glyphs stand for, learnt page by page in
// page order (so the same whatever the number of readers).
struct PrivateUseMemory {
  PrivateUseVotes votes;
  std::map<char32_t, int> tries;  // lines OCR'd for each glyph still unknown
  int lines = 0;                  // lines OCR'd in the document
};

// Lines read by OCR for private-use glyphs: at most this many a page and a
// document, and each glyph tried on at most kGlyphTries lines.
constexpr int kGlyphLinesPerPage = 6;
constexpr int kGlyphLinesPerDocument = 96;
constexpr int kGlyphTries = 8;

// Reads the private-use glyphs of `r`'s page that `memory` does not know
// from OCR of lines holding them (private_use_glyphs.h), then replaces on
// the page every glyph `memory` knows. Rendering uses `reader`.
void ReadPrivateUseGlyphs(PageReader& reader, OcrPool& pool, PageRead& r, PrivateUseMemory& memory) {
  std::vector<const TextLine*> chosen;
  bool any = false;
  for (const TextBlock& block : r.layout.blocks) {
    for (const TextLine& line : block.lines) {
      const std::vector<char32_t> glyphs = PrivateUseIn(line);
      if (glyphs.empty()) continue;
      any = true;
      // Horizontal lines only (a baseline): OCR reads lines across.
      if (line.baseline <= 0 || chosen.size() >= static_cast<size_t>(kGlyphLinesPerPage) ||
          memory.lines >= kGlyphLinesPerDocument)
        continue;
      bool wanted = false;
      for (char32_t c : glyphs) {
        if (memory.votes.Meanings().count(c) == 0 && memory.tries[c] < kGlyphTries) wanted = true;
      }
      if (!wanted) continue;
      for (char32_t c : glyphs) ++memory.tries[c];
      chosen.push_back(&line);
      ++memory.lines;
    }
  }
  if (!any) return;
  for (const TextLine* line : chosen) {
    const float pad = 0.5f * (line->y1 - line->y0);
    const fz_rect region = {line->x0 - pad, line->y0 - pad, line->x1 + pad, line->y1 + pad};
    ErrorText err = "";
    OcrImage image;
    if (!RenderRegionGray(reader.ctx, &reader.doc->super, r.page.number - 1, region, kOcrDpi, &reader.cookie, &image,
                          err, sizeof err))
      continue;
    Result<OcrPage> page = pool.Submit(std::move(image)).get();
    if (!page.ok()) continue;
    std::string text;
    for (const OcrBlock& b : page->blocks) {
      for (const OcrLine& l : b.lines) {
        for (const OcrWord& w : l.words) text += (text.empty() ? "" : " ") + w.text;
      }
    }
    for (const auto& [c, reading] : ReadPrivateUseFromOcr(LineText(*line), text)) memory.votes.Add(c, reading);
  }
  ReplacePrivateUse(r.layout, memory.votes.Meanings());
}

// Pages read ahead by reader threads, each with its own context and
// document, and taken in page order. At most `window` pages are read ahead
// of the one taken last, which bounds memory whatever the document's length.
class ParallelPages {
 public:
  using Read = std::function<PageRead(PageReader&, int)>;
  using Open = std::function<Status(PageReader&)>;

  ParallelPages(std::vector<PageReader>& readers, int page_count, int window, Open open, Read read)
      : page_count_(page_count), window_(window), open_(std::move(open)), read_(std::move(read)), readers_(&readers) {
    threads_.reserve(readers.size());
    for (PageReader& reader : readers) threads_.emplace_back([this, &reader] { Run(reader); });
  }
  ~ParallelPages() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    for (PageReader& reader : *readers_) reader.cookie.abort = 1;  // pages in progress stop early
    work_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  ParallelPages(const ParallelPages&) = delete;
  ParallelPages& operator=(const ParallelPages&) = delete;

  //! Waits for page `index` (0-based; taken in order, each once).
  PageRead Take(int index) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return ready_.count(index) != 0; });
    auto it = ready_.find(index);
    PageRead r = std::move(it->second);
    ready_.erase(it);
    taken_ = index + 1;
    lock.unlock();
    work_.notify_all();
    return r;
  }

 private:
  void Run(PageReader& reader) {
    Status opened;
    try {
      opened = open_(reader);
    } catch (const std::exception& e) {
      opened = Status::Internal(std::string("PDF reader thread: ") + e.what());
    }
    for (;;) {
      int index;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_.wait(lock, [&] { return stop_ || next_ >= page_count_ || next_ < taken_ + window_; });
        if (stop_ || next_ >= page_count_) return;
        index = next_++;
      }
      PageRead r;
      if (!opened.ok()) {
        r.fatal = opened;
      } else {
        try {
          r = read_(reader, index);
        } catch (const std::exception& e) {  // out of memory, say: the document fails, the worker lives
          r = PageRead{};
          r.fatal = Status::Internal("page " + std::to_string(index + 1) + ": " + e.what());
        }
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ready_.emplace(index, std::move(r));
      }
      done_.notify_all();
    }
  }

  const int page_count_;
  const int window_;
  Open open_;
  Read read_;
  std::vector<PageReader>* readers_;
  std::mutex mu_;
  std::condition_variable work_;  // readers wait for room in the window
  std::condition_variable done_;  // the taker waits for its page
  int next_ = 0;                  // next page to read
  int taken_ = 0;                 // pages taken so far
  bool stop_ = false;
  std::map<int, PageRead> ready_;
  std::vector<std::thread> threads_;  // last: they start once the members above exist
};

// ---- File checks --------------------------------------------------------------

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 16)) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return "\"" + out + "\"";
}

// Rejects what MuPDF would only half-read: missing, empty, foreign or cut-off
// files. A PDF without "%%EOF" near its end was cut off (an interrupted
// upload, say); MuPDF could "repair" it into a silently shorter document, so
// it is refused.
Status CheckPdfFile(const std::string& path, const std::string& name) {
  Result<int64_t> size = InputFileSize(path, name);
  if (!size.ok()) return size.status();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(name + ": cannot read file: " + std::strerror(errno));
  std::string head(static_cast<size_t>(std::min<int64_t>(*size, kHeadBytes)), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.find("%PDF-") == std::string::npos)
    return Status::InvalidInput(name + ": not a PDF: file starts with " + Printable(head));
  const int64_t tail_size = std::min<int64_t>(*size, kTailBytes);
  std::string tail(static_cast<size_t>(tail_size), '\0');
  in.seekg(*size - tail_size);
  in.read(tail.data(), tail_size);
  if (!in) return Status::InvalidInput(name + ": cannot read file");
  if (tail.find("%%EOF") == std::string::npos)
    return Status::InvalidInput(name + ": truncated PDF: no %%EOF marker at the end of the file");
  return Status::Ok();
}

// ---- The extractor -------------------------------------------------------------

class PdfExtractor final : public Extractor {
 public:
  explicit PdfExtractor(OcrPool* ocr) : ocr_(ocr) {}
  std::string Format() const override { return "pdf"; }

  bool CanHandle(const std::string& key, std::string_view head) const override {
    if (head.substr(0, std::min<size_t>(head.size(), kHeadBytes)).find("%PDF-") != std::string_view::npos)
      return true;
    return key.size() >= 4 && strcasecmp(key.c_str() + key.size() - 4, ".pdf") == 0;
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name,
                                 const ExtractOptions& options, const PageSink& sink) override;

 private:
  OcrPool* ocr_;  // null: pages without usable text stay empty
};

Result<ExtractSummary> PdfExtractor::Extract(const std::string& path, const std::string& name,
                                             const ExtractOptions& options, const PageSink& sink) {
  DOCPIPE_RETURN_IF_ERROR(CheckPdfFile(path, name));
  // One context per call: contexts are not shared between threads.
  Diagnostics diag;
  ContextPtr owner(fz_new_context(nullptr, nullptr, kStoreBytes));
  if (!owner) return Status::Internal(name + ": cannot create MuPDF context");
  fz_context* ctx = owner.get();
  fz_set_warning_callback(ctx, OnWarning, &diag);
  fz_set_error_callback(ctx, OnError, nullptr);

  ErrorText err = "";
  std::unique_ptr<pdf_document, DocumentDeleter> doc(OpenPdf(ctx, path.c_str(), err), DocumentDeleter{ctx});
  if (!doc) return Status::InvalidInput(name + ": cannot open PDF: " + err);
  if (!Unlocked(ctx, doc.get())) return Status::InvalidInput(name + ": encrypted PDF requires a password");
  const int page_count = CountPages(ctx, doc.get(), err);
  if (page_count < 0) return Status::InvalidInput(name + ": cannot read the page tree: " + err);
  if (page_count == 0) return Status::InvalidInput(name + ": PDF has zero pages");

  ExtractSummary summary;
  summary.format = "pdf";
  summary.page_count = page_count;
  char title[512];
  LookupTitle(ctx, doc.get(), title, sizeof title);
  summary.title = title;

  const int threads = std::clamp(options.threads, 1, page_count);
  // The serial path reads with the extraction's own context; in parallel,
  // each reader has a context of its own, and the store is shared out.
  std::vector<PageReader> readers(static_cast<size_t>(threads));
  if (threads == 1) {
    readers[0].ctx = ctx;
    readers[0].doc = doc.get();
  }
  // Pages to OCR are drawn in this thread, with the extraction's context.
  PageReader drawing;
  drawing.ctx = ctx;
  drawing.doc = doc.get();
  PageReader& ocr_reader = threads == 1 ? readers[0] : drawing;
  std::vector<fz_cookie*> cookies;
  for (PageReader& reader : readers) cookies.push_back(&reader.cookie);
  if (threads > 1) cookies.push_back(&drawing.cookie);
  AbortWatch watch(options, cookies);
  FontSizeStats sizes;
  int failed_pages = 0;
  std::string first_failure;
  const std::vector<PageLabelRange> labels = PageLabelRanges(ctx, doc.get());
  OutlineIndex outline(options.outline_headings ? Outline(ctx, doc.get()) : std::vector<OutlineEntry>{});
  std::unique_ptr<MarkdownRenderer> renderer;  // made once the first page tells slides from paper
  // Pages wait here until the furniture detector has seen the pages after
  // them; the window is a few pages, whatever the document's length.
  struct Pending {
    ExtractedPage page;
    PageLayout layout;
  };
  std::deque<Pending> pending;
  FurnitureDetector furniture;
  auto emit_first = [&]() -> Status {
    Pending p = std::move(pending.front());
    pending.pop_front();
    std::string printed = furniture.Strip(p.page.number, p.layout, &p.page.furniture);
    p.page.label = labels.empty() ? printed : PageLabel(labels, p.page.number - 1);
    if (!renderer) renderer = std::make_unique<MarkdownRenderer>(&outline, false);
    PageMarkdown md = renderer->Render(std::move(p.layout), sizes.BodySize(), p.page.number);
    p.page.markdown = std::move(md.markdown);
    for (HeadingEntry& h : md.headings) summary.outline.push_back(std::move(h));
    return sink(std::move(p.page));
  };
  // Pages reach the structure pass in order; those read by OCR (ocr_pages.h)
  // join when their recognition is done.
  OrderedPages ordered(ocr_, options, name, [&](ExtractedPage&& page, PageLayout&& layout) -> Status {
    if (!renderer && layout.width > 0) {
      const bool slides = layout.width > 1.2f * layout.height;
      renderer = std::make_unique<MarkdownRenderer>(&outline, slides);
    }
    if (page.ocr) NormalizeLines(layout);  // text-layer layouts were normalized by their reader
    sizes.Add(layout);
    furniture.Add(page.number, layout, sizes.BodySize());
    const int number = page.number;
    pending.push_back({std::move(page), std::move(layout)});
    while (!pending.empty() && pending.front().page.number + FurnitureDetector::kWindow <= number) {
      DOCPIPE_RETURN_IF_ERROR(emit_first());
    }
    return Status::Ok();
  });
  const bool can_ocr = ordered.CanOcr();
  PrivateUseMemory private_use;
  auto read = [&](PageReader& reader, int index) { return ReadPage(reader, index, options, can_ocr); };
  std::optional<ParallelPages> parallel;
  if (threads > 1) {
    const size_t store_bytes = std::max<size_t>(kMinStoreBytes, kStoreBytes / static_cast<size_t>(threads));
    parallel.emplace(
        readers, page_count, 2 * threads + 2,
        [&, store_bytes](PageReader& reader) { return reader.Open(path, name, store_bytes); }, read);
  }
  for (int i = 0; i < page_count; ++i) {
    DOCPIPE_RETURN_IF_ERROR(watch.Check(name, i, page_count));
    PageRead r = parallel ? parallel->Take(i) : read(readers[0], i);
    if (!r.fatal.ok()) return r.fatal;
    if (r.aborted) DOCPIPE_RETURN_IF_ERROR(watch.Check(name, i, page_count));
    std::optional<OcrImage> image;
    if (r.wants_ocr) {
      DOCPIPE_RETURN_IF_ERROR(ordered.MakeRoom());
      image = RenderForOcr(ocr_reader, r);
      if (r.aborted) DOCPIPE_RETURN_IF_ERROR(watch.Check(name, i, page_count));
    }
    if (!image && ocr_ != nullptr) ReadPrivateUseGlyphs(ocr_reader, *ocr_, r, private_use);
    for (const std::string& w : r.warnings) diag.Add(w.c_str());
    if (r.failed) {
      ++failed_pages;
      if (first_failure.empty()) first_failure = r.error;
    }
    if (image) {
      DOCPIPE_RETURN_IF_ERROR(ordered.AddOcr(std::move(r.page), std::move(*image), std::move(r.layout)));
    } else {
      DOCPIPE_RETURN_IF_ERROR(ordered.AddNative(std::move(r.page), std::move(r.layout)));
    }
  }
  parallel.reset();
  DOCPIPE_RETURN_IF_ERROR(ordered.Flush());
  while (!pending.empty()) DOCPIPE_RETURN_IF_ERROR(emit_first());
  for (const std::string& w : ordered.Warnings()) diag.Add(w.c_str());
  if (failed_pages == page_count)
    return Status::InvalidInput(name + ": no page could be read: " + first_failure);
  if (doc->repair_attempted) diag.Add("damaged cross-reference table was repaired");
  if (!private_use.votes.Meanings().empty()) {
    std::string read = "private-use glyphs read by OCR:";
    for (const auto& [c, meaning] : private_use.votes.Meanings()) {
      char code[16];
      std::snprintf(code, sizeof code, " U+%04X ", static_cast<unsigned>(c));
      read += code + ("\"" + meaning + "\"");
    }
    diag.Add(read.c_str());
  }
  summary.warning_count = diag.warning_count;
  summary.warnings = std::move(diag.warnings);
  return summary;
}

}  // namespace

ExtractorPtr NewPdfExtractor() { return std::make_unique<PdfExtractor>(nullptr); }
ExtractorPtr NewPdfExtractor(OcrPool* ocr) { return std::make_unique<PdfExtractor>(ocr); }

}  // namespace docpipe
