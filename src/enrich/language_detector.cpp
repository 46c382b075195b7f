#include "enrich/language_detector.h"

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>
#include <string>

namespace docpipe {

namespace {
// Below this much letter text a detection is a guess, and scored as one.
constexpr int kConfidentBytes = 64;
}  // namespace

std::vector<LanguageScore> DetectLanguages(std::string_view text) {
  std::vector<LanguageScore> out;
  if (text.empty()) return out;
  CLD2::CLDHints hints{nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  // CLD2 leaves these untouched on some early exits (very short text).
  CLD2::Language language3[3] = {CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE, CLD2::UNKNOWN_LANGUAGE};
  int percent3[3] = {0, 0, 0};
  double normalized3[3] = {0, 0, 0};
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix = 0;
  // The checking variant: chunk text is not guaranteed valid UTF-8, and CLD2
  // only scores the valid prefix.
  CLD2::ExtDetectLanguageSummaryCheckUTF8(text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true,
                                          &hints, 0, language3, percent3, normalized3, nullptr, &text_bytes,
                                          &reliable, &valid_prefix);
  for (int i = 0; i < 3; ++i) {
    if (language3[i] == CLD2::UNKNOWN_LANGUAGE || percent3[i] <= 0) continue;
    std::string code = CLD2::LanguageCode(language3[i]);
    // CLD2's extended pseudo-languages ("xx-Latn" scripts, pig latin) are not languages.
    if (code.empty() || code == "un" || code.rfind("xx", 0) == 0 || code.rfind("zzb", 0) == 0) continue;
    double score = percent3[i] / 100.0;
    if (!reliable) score *= 0.5;
    // CLD2 is confident about a few words more often than it should be.
    if (text_bytes < kConfidentBytes) score *= static_cast<double>(std::max(text_bytes, 1)) / kConfidentBytes;
    out.push_back({code, score});
  }
  return out;
}

}  // namespace docpipe
