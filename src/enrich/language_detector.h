#pragma once

#include <string_view>
#include <vector>

#include "enrich/enricher.h"

namespace docpipe {

// Languages of `text` with CLD2, best first: up to three ISO 639-1 codes
// ("en", "es", "pt"; "zh-TW" for traditional Chinese, as Comprehend) scored
// by their share of the text (0..1). When CLD2 marks the result unreliable
// the best guess is still returned at half the score, and text with under 64
// bytes of letters scales down further. Empty when CLD2 cannot tell at all
// (a greeting, digits only). Pure function: thread-safe.
std::vector<LanguageScore> DetectLanguages(std::string_view text);

}  // namespace docpipe
