#include "extract/text_normalizer.h"

#include "common/utf8.h"
#include "extract/page_layout.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace docpipe {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool IsCompatibilityFoldable(UChar32 c) {
  return (c >= 0xFB00 && c <= 0xFB06) ||  // Latin ligatures ff fi fl ffi ffl ſt st
         (c >= 0xFB50 && c <= 0xFDFF) ||  // Arabic presentation forms A
         (c >= 0xFE70 && c <= 0xFEFF);    // Arabic presentation forms B
}

const icu::Normalizer2* Nfc() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
  return U_SUCCESS(status) ? n : nullptr;
}

const icu::Normalizer2* Nfkc() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(status);
  return U_SUCCESS(status) ? n : nullptr;
}

// Whether base + mark composes into one precomposed character.
bool Composes(const icu::Normalizer2& nfc, UChar32 base, UChar32 mark) {
  return nfc.composePair(base, mark) >= 0;
}

// TeX sets accented i and j on their dotless forms.
UChar32 Dotted(UChar32 base) {
  if (base == 0x0131) return 'i';
  if (base == 0x0237) return 'j';
  return base;
}

// Directional marks and embeddings (Tesseract brackets right-to-left words
// with them): text is stored in logical order, so they carry nothing and
// would split words for search.
bool IsBidiControl(UChar32 c) {
  return c == 0x200E || c == 0x200F || c == 0x061C || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

constexpr char16_t kTatweel = 0x0640;

UJoiningType JoiningType(UChar32 c) {
  return static_cast<UJoiningType>(u_getIntPropertyValue(c, UCHAR_JOINING_TYPE));
}

// A kashida (tatweel) between two letters that join only stretches the word,
// as justified Arabic and Persian are set ("تلاشهــایی"): a search types the
// word without it. One that starts or ends a word, or carries a mark, shows
// a letter's form ("ـه") and stays.
icu::UnicodeString WithoutKashidasInsideWords(const icu::UnicodeString& s) {
  icu::UnicodeString out;
  const int32_t n = s.length();
  for (int32_t i = 0; i < n;) {
    if (s.charAt(i) != kTatweel) {
      const int32_t next = s.moveIndex32(i, 1);
      out.append(s, i, next - i);
      i = next;
      continue;
    }
    int32_t end = i;
    while (end < n && s.charAt(end) == kTatweel) ++end;
    UChar32 before = 0;  // the letter before, past its marks
    for (int32_t j = out.length(); j > 0;) {
      j = out.moveIndex32(j, -1);
      before = out.char32At(j);
      if (JoiningType(before) != U_JT_TRANSPARENT) break;
    }
    const UJoiningType after = end < n ? JoiningType(s.char32At(end)) : U_JT_NON_JOINING;
    const bool stretches = JoiningType(before) == U_JT_DUAL_JOINING &&
                           (after == U_JT_DUAL_JOINING || after == U_JT_RIGHT_JOINING);
    if (!stretches) out.append(s, i, end - i);
    i = end;
  }
  return out;
}

// Whether NormalizeText leaves `c` as it is whatever surrounds it, unless a
// combining mark follows: Latin-1 and Latin Extended letters and General
// Punctuation, without the spacing accents and the bidi controls.
bool IsStable(UChar32 c) {
  if (c < 0x80) return true;
  if (c < 0x300) return CombiningForSpacingAccent(static_cast<char32_t>(c)) == 0;
  return c >= 0x2010 && c <= 0x205E && !(c >= 0x2028 && c <= 0x202F) && !IsBidiControl(c);
}

bool NeedsWork(std::string_view s) {
  // ASCII-only text needs nothing (the common case for English documents),
  // nor do accented Latin letters and typographic punctuation on their own.
  const auto length = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < length && static_cast<unsigned char>(s[static_cast<size_t>(i)]) < 0x80) ++i;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, length, c);
    if (c < 0 || !IsStable(c)) return true;
  }
  return false;
}

}  // namespace

char32_t CombiningForSpacingAccent(char32_t c) {
  switch (c) {
    case 0x00B4: return 0x0301;  // acute
    case 0x02CA: return 0x0301;
    case 0x0060: return 0x0300;  // grave
    case 0x02CB: return 0x0300;
    case 0x00A8: return 0x0308;  // diaeresis
    case 0x02C6: return 0x0302;  // circumflex
    case 0x005E: return 0x0302;
    case 0x02DC: return 0x0303;  // tilde
    case 0x007E: return 0x0303;
    case 0x00AF: return 0x0304;  // macron
    case 0x02C9: return 0x0304;
    case 0x02D8: return 0x0306;  // breve
    case 0x02D9: return 0x0307;  // dot above
    case 0x02DA: return 0x030A;  // ring above
    case 0x02DD: return 0x030B;  // double acute
    case 0x02C7: return 0x030C;  // caron
    case 0x00B8: return 0x0327;  // cedilla
    case 0x02DB: return 0x0328;  // ogonek
    default: return 0;
  }
}

int DecimalDigitValue(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c < 0x80 || u_charType(static_cast<UChar32>(c)) != U_DECIMAL_DIGIT_NUMBER) return -1;
  return u_charDigitValue(static_cast<UChar32>(c));
}

int CountReplacementChars(std::string_view utf8) {
  int n = 0;
  for (size_t pos = utf8.find("\xEF\xBF\xBD"); pos != std::string_view::npos; pos = utf8.find("\xEF\xBF\xBD", pos + 3))
    ++n;
  return n;
}

std::string NormalizeText(std::string_view utf8) {
  if (!NeedsWork(utf8)) return std::string(utf8);
  const icu::Normalizer2* nfc = Nfc();
  const icu::Normalizer2* nfkc = Nfkc();
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString out;
  const int32_t n = in.length();
  for (int32_t i = 0; i < n;) {
    UChar32 c = in.char32At(i);
    const int32_t next = in.moveIndex32(i, 1);
    if (c == static_cast<UChar32>(kReplacement) || IsBidiControl(c)) {
      i = next;
      continue;
    }
    // Only the non-ASCII spacing accents join by text alone; ASCII ^ ~ `
    // are joined upstream only where the page geometry shows an accent.
    if (c >= 0x80 && nfc) {
      if (char32_t mark = CombiningForSpacingAccent(static_cast<char32_t>(c)); mark != 0 && next < n) {
        UChar32 base = Dotted(in.char32At(next));
        if (u_isalpha(base) && Composes(*nfc, base, static_cast<UChar32>(mark))) {
          out.append(base);
          out.append(static_cast<UChar32>(mark));
          i = in.moveIndex32(next, 1);
          continue;
        }
      }
    }
    if (IsCompatibilityFoldable(c) && nfkc) {
      UErrorCode status = U_ZERO_ERROR;
      icu::UnicodeString folded = nfkc->normalize(icu::UnicodeString(c), status);
      if (U_SUCCESS(status)) {
        out.append(folded);
        i = next;
        continue;
      }
    }
    out.append(c);
    i = next;
  }
  if (out.indexOf(kTatweel) >= 0) out = WithoutKashidasInsideWords(out);
  if (nfc) {
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString composed = nfc->normalize(out, status);
    if (U_SUCCESS(status)) out = std::move(composed);
  }
  std::string result;
  out.toUTF8String(result);
  return result;
}

namespace {

bool IsCjk(UChar32 c) {
  return (c >= 0x2E80 && c <= 0x2FDF) ||  // radicals
         (c >= 0x3000 && c <= 0x30FF) ||  // CJK punctuation, Hiragana, Katakana
         (c >= 0x3100 && c <= 0x31FF) ||  // Bopomofo, Katakana extensions
         (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFF00 && c <= 0xFF60) ||  // full-width forms and punctuation
         (c >= 0x20000 && c <= 0x3FFFF);
}

UChar32 LastChar(std::string_view s) {
  if (s.empty()) return 0;
  int32_t i = static_cast<int32_t>(s.size());
  UChar32 c = 0;
  U8_PREV(reinterpret_cast<const uint8_t*>(s.data()), 0, i, c);
  return c;
}

UChar32 FirstChar(std::string_view s) {
  if (s.empty()) return 0;
  int32_t i = 0;
  UChar32 c = 0;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, static_cast<int32_t>(s.size()), c);
  return c;
}

}  // namespace

bool JoinsWithoutSpace(std::string_view before, std::string_view after) {
  return IsCjk(LastChar(before)) && IsCjk(FirstChar(after));
}

void NormalizeLayoutText(PageLayout& page) {
  for (TextBlock& block : page.blocks) {
    for (TextLine& line : block.lines) {
      for (TextSpan& span : line.spans) {
        // Spans with any non-ASCII character are counted again in code
        // points (BuildLayout counts a joined accent with its letter).
        if (IsAscii(span.text)) continue;
        if (NeedsWork(span.text)) span.text = NormalizeText(span.text);
        int n = 0;
        for (unsigned char c : span.text) n += (c & 0xC0) != 0x80;
        span.chars = n;
      }
    }
  }
}

}  // namespace docpipe
