#include "extract/glyph_names.h"

#include <mupdf/fitz.h>

#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace docpipe {
namespace {

constexpr int kReplacementCodePoint = 0xFFFD;
constexpr int kMaxRecovered = 8;  // characters one glyph may stand for ("f_f_i")

bool IsHex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos;
}

bool IsPrivateUse(char32_t c) { return c >= 0xE000 && c <= 0xF8FF; }

// A character a glyph may stand for: not a control, surrogate, U+FFFD or a
// private-use code point (those are what recovery replaces).
bool Valid(char32_t c) {
  return c > 0x1F && c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF) && c != 0xFFFD && !IsPrivateUse(c);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The Adobe Glyph List's name for an Arabic glyph that a font names in the
// descriptive style of TeX's Arabic fonts (arabi's "behinitial", "fathah",
// "lamwithaleffinal", "arabiccomma"); the AGL spells these "behinitialarabic",
// "fathaarabic", "lamaleffinalarabic", "commaarabic". An isolated form is its
// letter ("noonisolated" -> "noonarabic"). 0 when no such name is in the AGL.
int ArabicFromDescriptiveName(std::string name) {
  bool prefixed = false;  // "arabiccomma": "sign" and "mark" are dropped too ("arabicquestionmark")
  for (const char* prefix : {"arabicindicdigit", "arabic"}) {
    if (StartsWith(name, prefix)) {
      name.erase(0, std::strlen(prefix));
      prefixed = true;
      break;
    }
  }
  for (size_t at = name.find("with"); at != std::string::npos; at = name.find("with")) name.erase(at, 4);
  if (EndsWith(name, "isolated")) name.resize(name.size() - 8);
  std::string candidates[3] = {name, "", ""};
  if (EndsWith(name, "ah")) candidates[1] = name.substr(0, name.size() - 1);  // fathah, kasrah, shaddah
  for (const char* suffix : {"sign", "mark"}) {
    if (prefixed && EndsWith(name, suffix)) candidates[2] = name.substr(0, name.size() - std::strlen(suffix));
  }
  for (const std::string& c : candidates) {
    if (c.empty()) continue;
    const int u = fz_unicode_from_glyph_name_strict((c + "arabic").c_str());
    if (u >= 0x0600 && u <= 0x06FF) return u;
    if ((u >= 0xFB50 && u <= 0xFDFF) || (u >= 0xFE70 && u <= 0xFEFF)) return u;
  }
  return 0;
}

// Glyph names of arabi's Type 3 Arabic fonts, which mark a joining side with
// '_' ("_baa_" is the medial beh) and spell letters their own way. The
// letters themselves are kept: presentation forms fold to them anyway.
struct ArabiGlyph {
  const char* name;
  const char32_t* text;
};
constexpr ArabiGlyph kArabiGlyphs[] = {
    {"baa", U"\u0628"}, {"taa", U"\u062A"}, {"thaa", U"\u062B"}, {"jeem", U"\u062C"}, {"haa", U"\u062D"},
    {"khaa", U"\u062E"}, {"dal", U"\u062F"}, {"thal", U"\u0630"}, {"ra", U"\u0631"}, {"zain", U"\u0632"},
    {"seen", U"\u0633"}, {"sheen", U"\u0634"}, {"sad", U"\u0635"}, {"dad", U"\u0636"}, {"tah", U"\u0637"},
    {"dhah", U"\u0638"}, {"ain", U"\u0639"}, {"ghain", U"\u063A"}, {"fa", U"\u0641"}, {"qaf", U"\u0642"},
    {"caf", U"\u0643"}, {"lam", U"\u0644"}, {"meem", U"\u0645"}, {"noon", U"\u0646"}, {"ha", U"\u0647"},
    {"waw", U"\u0648"}, {"ya", U"\u064A"}, {"peh", U"\u067E"}, {"alef", U"\u0627"},
    {"taa_marbutah", U"\u0629"}, {"alef_maqsurah", U"\u0649"}, {"hamzah", U"\u0621"},
    {"hamzah_on_alef", U"\u0623"}, {"hamzah_under_alef", U"\u0625"}, {"maddah_on_alef", U"\u0622"},
    {"hamzah_on_waw", U"\u0624"}, {"hamzah_on_ya", U"\u0626"}, {"lam_alef", U"\u0644\u0627"},
    {"lam_hamzah_on_alef", U"\u0644\u0623"}, {"lam_hamza_on_alef", U"\u0644\u0623"},
    {"lam_hamzah_under_alef", U"\u0644\u0625"}, {"lam_maddah_on_alef", U"\u0644\u0622"},
    {"lam_lam_ha", U"\u0644\u0644\u0647"}, {"arab_zero", U"\u0660"}, {"arab_one", U"\u0661"},
    {"arab_two", U"\u0662"}, {"arab_three", U"\u0663"}, {"arab_four", U"\u0664"}, {"arab_five", U"\u0665"},
    {"arab_six", U"\u0666"}, {"arab_seven", U"\u0667"}, {"arab_eight", U"\u0668"}, {"arab_nine", U"\u0669"},
    {"arab_comma", U"\u060C"}, {"arab_semicolon", U"\u061B"}, {"arab_question", U"\u061F"},
    {"arab_percent", U"\u066A"}, {"shaddah_fathah", U"\u0651\u064E"}, {"shaddah_dammah", U"\u0651\u064F"},
    {"shaddah_kasrah", U"\u0651\u0650"}, {"shaddah_fathatan", U"\u0651\u064B"},
    {"shaddah_dammatan", U"\u0651\u064C"}, {"shaddah_kasratan", U"\u0651\u064D"},
};

// The text of an arabi glyph name, or empty. A name without a joining mark
// must be one the AGL does not know ("alef" alone is Hebrew there).
std::u32string ArabiGlyphText(const std::string& name) {
  const size_t first = name.find_first_not_of('_');
  const size_t last = name.find_last_not_of('_');
  if (first == std::string::npos) return {};
  const bool marked = first > 0 || last + 1 < name.size();
  const std::string key = name.substr(first, last + 1 - first);
  for (const ArabiGlyph& g : kArabiGlyphs) {
    if (key != g.name) continue;
    if (!marked && fz_unicode_from_glyph_name_strict(key.c_str()) > 0) return {};
    return g.text;
  }
  return {};
}

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
  if (c <= 0) c = ArabicFromDescriptiveName(comp);
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

// Unmapped glyphs (U+FFFD), and glyphs mapped into the private use area,
// whose meaning only the font knows ("T_h" as U+E002).
bool NeedsRecovery(const fz_text_item& item) {
  return item.gid >= 0 && (item.ucs == kReplacementCodePoint || IsPrivateUse(static_cast<char32_t>(item.ucs)));
}

bool IsPictureFont(fz_context* ctx, fz_font* font) { return IsPictureModeFont(fz_font_name(ctx, font)); }

// The first letters of the Latin ligatures fonts name with '_' ("f_f_i",
// "T_h", "Q_u", "longs_t"): only glyphs mapped to one of these have their
// names looked up below. Arabic ligatures ("lam_alef") are left out: the
// letters of one glyph share its position, and inside a word of a line set
// right to left that turned dad-user-guide's "فَلِلهِ" around.
bool MayStartLigature(int ucs) { return ucs == 'f' || ucs == 'T' || ucs == 'Q' || ucs == 0x017F; }

// A ligature glyph that MuPDF mapped to its first letter: without a
// ToUnicode entry it reads the glyph's name only up to the first '_', so
// LinLibertine's "f_f" and "f_i" became 'f' ("efet" for "effet", "enfn" for
// "enfin"). Writes the characters the whole name stands for to `out`, and
// returns how many (0: not such a glyph). A glyph a ToUnicode entry maps to
// several characters is followed by items without a glyph (gid -1), and is
// left as it is.
int TruncatedLigature(fz_context* ctx, const fz_text_span& span, int i, int out[kMaxRecovered]) {
  const fz_text_item& item = span.items[i];
  if (item.gid < 0 || !MayStartLigature(item.ucs)) return 0;
  if (i + 1 < span.len && span.items[i + 1].gid < 0) return 0;
  char name[64] = "";
  fz_get_glyph_name(ctx, span.font, item.gid, name, sizeof name);
  if (std::strchr(name, '_') == nullptr) return 0;
  const int n = RecoverGlyph(name, out);
  return n >= 2 && out[0] == item.ucs ? n : 0;
}

// Whether `text` has a glyph to replace or a span of a picture-mode font.
bool HasUnmapped(fz_context* ctx, const fz_text* text) {
  int ligature[kMaxRecovered];
  for (const fz_text_span* span = text->head; span; span = span->next) {
    if (IsPictureFont(ctx, span->font)) return true;
    for (int i = 0; i < span->len; ++i)
      if (NeedsRecovery(span->items[i]) || TruncatedLigature(ctx, *span, i, ligature) > 0) return true;
  }
  return false;
}

// Appends `text` to `out`, unmapped glyphs replaced where their names tell
// and the spans of picture-mode fonts left out.
// Throws (fz_throw) on allocation failure.
void CopyRecovered(fz_context* ctx, const fz_text* text, fz_text* out) {
  for (const fz_text_span* span = text->head; span; span = span->next) {
    if (IsPictureFont(ctx, span->font)) continue;
    const auto dir = static_cast<fz_bidi_direction>(span->markup_dir);
    const auto lang = static_cast<fz_text_language>(span->language);
    for (int i = 0; i < span->len; ++i) {
      const fz_text_item& item = span->items[i];
      fz_matrix trm = span->trm;
      trm.e = item.x;
      trm.f = item.y;
      int recovered[kMaxRecovered];
      int n = 0;
      if (!NeedsRecovery(item)) {
        n = TruncatedLigature(ctx, *span, i, recovered);
      } else {
        char name[64] = "";
        fz_get_glyph_name(ctx, span->font, item.gid, name, sizeof name);
        n = RecoverGlyph(name, recovered);
        if (n == 0 && item.ucs != kReplacementCodePoint) {
          const PrivateUseMeaning meaning = AdobePrivateUseMeaning(static_cast<char32_t>(item.ucs));
          if (meaning.drawing) continue;  // a piece of a large delimiter
          if (meaning.text != 0) recovered[n++] = static_cast<int>(meaning.text);
        }
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
  if (!HasUnmapped(ctx, text)) {
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

bool IsPictureModeFont(const char* font_name) {
  if (font_name == nullptr) return false;
  const char* name = font_name;
  // A subset's name is prefixed by six capital letters and '+' ("QPORNI+LINE10").
  if (std::strlen(name) > 7 && name[6] == '+') {
    bool tag = true;
    for (int i = 0; i < 6; ++i) tag = tag && name[i] >= 'A' && name[i] <= 'Z';
    if (tag) name += 7;
  }
  for (const char* picture : {"line10", "linew10", "lcircle10", "lcirclew10"})
    if (strcasecmp(name, picture) == 0) return true;
  return false;
}

PrivateUseMeaning AdobePrivateUseMeaning(char32_t c) {
  PrivateUseMeaning m;
  if (c >= 0xF730 && c <= 0xF739) {
    m.text = U'0' + (c - 0xF730);  // zerooldstyle ... nineoldstyle
  } else if (c >= 0xF761 && c <= 0xF77A) {
    m.text = U'a' + (c - 0xF761);  // Asmall ... Zsmall
  } else if (c >= 0xF7E0 && c <= 0xF7FE && c != 0xF7F7) {
    m.text = 0xE0 + (c - 0xF7E0);  // Agravesmall ... Thornsmall
  } else if (c == 0xF721 || c == 0xF724 || c == 0xF726 || c == 0xF73F) {
    m.text = c - 0xF700;  // exclamsmall, dollaroldstyle, ampersandsmall, questionsmall
  } else if (c == 0xF8E8) {
    m.text = 0xAE;  // registersans
  } else if (c == 0xF8E9) {
    m.text = 0xA9;  // copyrightsans
  } else if (c == 0xF8EA) {
    m.text = 0x2122;  // trademarksans
  } else {
    m.drawing = c >= 0xF8E5 && c <= 0xF8FE;  // parenlefttp ... bracerightbt, and the extenders
  }
  return m;
}

std::u32string UnicodeFromGlyphName(const std::string& name) {
  std::string base = name.substr(0, name.find('.'));
  if (std::u32string arabi = ArabiGlyphText(base); !arabi.empty()) return arabi;
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
