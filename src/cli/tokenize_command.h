#pragma once

#include <iosfwd>
#include <string>

namespace docpipe {

// `docpipe tokenize --encoding ENC [--count] < FILE`: writes the token ids of
// all of `in` as one JSON array line (with `count`, only their number).
// Returns 0, 2 for an unknown encoding (the message lists the supported
// ones), 1 if reading fails or the tokenizer cannot be built.
int RunTokenize(const std::string& encoding, bool count, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace docpipe
