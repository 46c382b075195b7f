#pragma once

#include <string>
#include <vector>

namespace docpipe {

// The words a keyword search looks for in `text`, lower-cased, distinct, in
// order: runs of ASCII letters/digits and any non-ASCII bytes. English
// function words ("the", "how") are dropped unless the text has nothing else.
// At most `max_terms` words.
std::vector<std::string> FtsQueryWords(const std::string& text, int max_terms = 32);

// `words` double-quoted (so AND, NEAR(, *, ^, : and column filters are plain
// terms) and OR-ed; "" for none. A word of FtsQueryWords never contains '"'.
std::string FtsOrExpression(const std::vector<std::string>& words);

// Turns arbitrary user text into a safe FTS5 MATCH expression: the
// FtsQueryWords of `text`, OR-ed. Returns "" when the text holds no word;
// callers must then skip the query rather than pass "" to MATCH (which is a
// syntax error).
std::string BuildFtsMatchExpression(const std::string& text, int max_terms = 32);

}  // namespace docpipe
