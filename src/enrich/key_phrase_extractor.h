#pragma once

#include <string_view>
#include <vector>

#include "enrich/enricher.h"

namespace docpipe {

// Statistical key phrases: candidates are the 1-3 word n-grams inside runs
// of content words (runs end at English stopwords, numbers, punctuation and
// blank lines, as in RAKE). A phrase scores its occurrences times the summed
// chunk frequency of its words, so repeated multi-word terms rank first;
// fragments of longer phrases and phrases nested in better ones are skipped.
// Returns at most `max_phrases` distinct phrases (case-insensitively), best
// first, scores normalised so the best is 1, offsets of the first
// occurrence. Pure function: thread-safe.
std::vector<KeyPhrase> ExtractKeyPhrases(std::string_view text, int max_phrases);

}  // namespace docpipe
