#include "extract/glyph_names.h"

#include <mupdf/fitz.h>

#include <cstdlib>
#include <cstring>

namespace docpipe {
namespace {

constexpr int kReplacementCodePoint = 0xFFFD;
constexpr int kMaxRecovered = 8;  // characters one glyph may stand for ("f_f_i")

bool IsHex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos;
}

bool Valid(char32_t c) { return c > 0x1F && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF) && c != 0xFFFD; }

// One '_'-separated component; false when it names nothing.
bool AppendComponent(const std::string& comp, std::u32string& out) {
  if (comp.empty()) return false;
  if (comp.size() >= 7 && comp.compare(0, 3, "uni") == 0 && (comp.size() - 3) % 4 == 0 && IsHex(comp.substr(3))) {
    for (size_t i = 3; i < comp.size(); i += 4) {
      char32_t c = static_cast<char32_t>(std::strtoul(comp.substr(i, 4).c_str(), nullptr, 16));
      if (!Valid(c)) return false;
      out += c;
    }
    return true;
  }
  if (comp.size() >= 5 && comp.size() <= 7 && comp[0] == 'u' && IsHex(comp.substr(1))) {
    char32_t c = static_cast<char32_t>(std::strtoul(comp.c_str() + 1, nullptr, 16));
    if (!Valid(c)) return false;
    out += c;
    return true;
  }
  // The Adobe Glyph List itself; the strict lookup does not guess numbers
  // ("a65", "g12" are glyph indices in most fonts, not character codes).
  int c = fz_unicode_from_glyph_name_strict(comp.c_str());
  if (c <= 0 || !Valid(static_cast<char32_t>(c))) return false;
  out += static_cast<char32_t>(c);
  return true;
}

// C-friendly wrapper for use between fz_try/fz_catch: no C++ object outlives
// the call. Returns how many characters were written to `out`.
int RecoverGlyph(const char* name, int out[kMaxRecovered]) noexcept {
  try {
    std::u32string u = UnicodeFromGlyphName(name);
    if (u.empty() || u.size() > static_cast<size_t>(kMaxRecovered)) return 0;
    for (size_t i = 0; i < u.size(); ++i) out[i] = static_cast<int>(u[i]);
    return static_cast<int>(u.size());
  } catch (...) {
    return 0;
  }
}

bool HasUnmapped(const fz_text* text) {
  for (const fz_text_span* span = text->head; span; span = span->next)
    for (int i = 0; i < span->len; ++i)
      if (span->items[i].ucs == kReplacementCodePoint && span->items[i].gid >= 0) return true;
  return false;
}

// Appends `text` to `out`, unmapped glyphs replaced where their names tell.
// Throws (fz_throw) on allocation failure.
void CopyRecovered(fz_context* ctx, const fz_text* text, fz_text* out) {
  for (const fz_text_span* span = text->head; span; span = span->next) {
    const auto dir = static_cast<fz_bidi_direction>(span->markup_dir);
    const auto lang = static_cast<fz_text_language>(span->language);
    for (int i = 0; i < span->len; ++i) {
      const fz_text_item& item = span->items[i];
      fz_matrix trm = span->trm;
      trm.e = item.x;
      trm.f = item.y;
      int recovered[kMaxRecovered];
      int n = 0;
      if (item.ucs == kReplacementCodePoint && item.gid >= 0) {
        char name[64] = "";
        fz_get_glyph_name(ctx, span->font, item.gid, name, sizeof name);
        n = RecoverGlyph(name, recovered);
      }
      if (n == 0) {
        fz_show_glyph(ctx, out, span->font, trm, item.gid, item.ucs, span->wmode, span->bidi_level, dir, lang);
        continue;
      }
      fz_show_glyph(ctx, out, span->font, trm, item.gid, recovered[0], span->wmode, span->bidi_level, dir, lang);
      for (int k = 1; k < n; ++k)
        fz_show_glyph(ctx, out, span->font, trm, -1, recovered[k], span->wmode, span->bidi_level, dir, lang);
    }
  }
}

// A copy of `text` with unmapped glyphs replaced where their names tell.
fz_text* Recover(fz_context* ctx, const fz_text* text) {
  fz_text* out = fz_new_text(ctx);
  fz_try(ctx) CopyRecovered(ctx, text, out);
  fz_catch(ctx) {
    fz_drop_text(ctx, out);
    fz_rethrow(ctx);
  }
  return out;
}

struct RecoveryDevice {
  fz_device super;
  fz_device* target;
};

fz_device* Target(fz_device* dev) { return reinterpret_cast<RecoveryDevice*>(dev)->target; }

// Runs `forward` with the recovered text, or the original when nothing in it
// is unmapped, dropping the copy.
template <typename Forward>
void WithRecovered(fz_context* ctx, const fz_text* text, Forward forward) {
  if (!HasUnmapped(text)) {
    forward(text);
    return;
  }
  fz_text* copy = Recover(ctx, text);
  fz_try(ctx) forward(copy ? copy : text);
  fz_always(ctx) fz_drop_text(ctx, copy);
  fz_catch(ctx) fz_rethrow(ctx);
}

void GlyphFillText(fz_context* ctx, fz_device* dev, const fz_text* text, fz_matrix ctm, fz_colorspace* cs,
                   const float* color, float alpha, fz_color_params params) {
  WithRecovered(ctx, text, [&](const fz_text* t) { fz_fill_text(ctx, Target(dev), t, ctm, cs, color, alpha, params); });
}

void GlyphStrokeText(fz_context* ctx, fz_device* dev, const fz_text* text, const fz_stroke_state* stroke,
                     fz_matrix ctm, fz_colorspace* cs, const float* color, float alpha,
                     fz_color_params params) {
  WithRecovered(ctx, text, [&](const fz_text* t) {
    fz_stroke_text(ctx, Target(dev), t, stroke, ctm, cs, color, alpha, params);
  });
}

void GlyphClipText(fz_context* ctx, fz_device* dev, const fz_text* text, fz_matrix ctm, fz_rect scissor) {
  WithRecovered(ctx, text, [&](const fz_text* t) { fz_clip_text(ctx, Target(dev), t, ctm, scissor); });
}

void GlyphClipStrokeText(fz_context* ctx, fz_device* dev, const fz_text* text, const fz_stroke_state* stroke,
                         fz_matrix ctm, fz_rect scissor) {
  WithRecovered(ctx, text, [&](const fz_text* t) { fz_clip_stroke_text(ctx, Target(dev), t, stroke, ctm, scissor); });
}

void GlyphIgnoreText(fz_context* ctx, fz_device* dev, const fz_text* text, fz_matrix ctm) {
  WithRecovered(ctx, text, [&](const fz_text* t) { fz_ignore_text(ctx, Target(dev), t, ctm); });
}

}  // namespace

std::u32string UnicodeFromGlyphName(const std::string& name) {
  std::string base = name.substr(0, name.find('.'));
  std::u32string out;
  size_t start = 0;
  while (true) {
    size_t end = base.find('_', start);
    if (!AppendComponent(base.substr(start, end == std::string::npos ? std::string::npos : end - start), out))
      return {};
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

fz_device* NewGlyphNameRecoveryDevice(fz_context* ctx, fz_device* target) {
  RecoveryDevice* dev = fz_new_derived_device(ctx, RecoveryDevice);
  dev->target = target;
  dev->super.fill_text = GlyphFillText;
  dev->super.stroke_text = GlyphStrokeText;
  dev->super.clip_text = GlyphClipText;
  dev->super.clip_stroke_text = GlyphClipStrokeText;
  dev->super.ignore_text = GlyphIgnoreText;
  return &dev->super;
}

}  // namespace docpipe
