#pragma once

#include <string>

namespace docpipe {

// Turns arbitrary user text into a safe FTS5 MATCH expression: the text is
// split into words (runs of ASCII letters/digits and any non-ASCII bytes),
// each word is double-quoted (so AND, NEAR(, *, ^, : and column filters are
// plain terms) and the words are OR-ed. English function words ("the", "how")
// are dropped unless the text has nothing else. At most `max_terms` distinct
// words are kept. Returns "" when the text holds no word; callers must then skip
// the query rather than pass "" to MATCH (which is a syntax error).
std::string BuildFtsMatchExpression(const std::string& text, int max_terms = 32);

}  // namespace docpipe
