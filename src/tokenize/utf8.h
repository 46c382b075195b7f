#pragma once

#include <string>
#include <string_view>

namespace docpipe {

// Whether `s` is well-formed UTF-8 (no surrogates, overlongs or > U+10FFFF).
bool IsValidUtf8(std::string_view s);

// `s` with each maximal invalid subsequence replaced by U+FFFD, exactly as the
// WHATWG UTF-8 decoder (TextDecoder, node's Buffer.toString) does.
std::string RepairUtf8(std::string_view s);

}  // namespace docpipe
