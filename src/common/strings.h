#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace docpipe {

// Locale-free ASCII string helpers: protocol text (headers, URLs, config
// files) and the ASCII parts of document text. Bytes >= 0x80 (UTF-8) are
// never changed or classified.

inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAsciiAlnum(char c) { return IsAsciiDigit(c) || IsAsciiAlpha(c); }
//! Space, \t, \n, \v, \f, \r (what std::isspace means in the C locale).
inline bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

//! `s` with its ASCII letters lower-cased.
std::string AsciiLower(std::string_view s);

//! Whether `s` ends with `suffix`, ASCII letters compared case-insensitively
//! (file extensions: "REPORT.PDF" has the suffix ".pdf").
bool HasSuffixIgnoringCase(std::string_view s, std::string_view suffix);

//! `s` without leading and trailing ASCII whitespace (IsAsciiSpace).
std::string_view Trim(std::string_view s);

//! Percent-encodes per RFC 3986 (unreserved characters kept); '/' is kept
//! when `keep_slash` (object keys in paths).
std::string UriEncode(const std::string& s, bool keep_slash);
//! Inverse of UriEncode; '+' becomes ' ' when `plus_is_space` (S3 event
//! keys). InvalidInput on a malformed escape.
Result<std::string> UriDecode(const std::string& s, bool plus_is_space);

//! `s` made safe to print on a terminal: C0 and C1 control characters, DEL
//! and the invisible direction marks and overrides (U+061C, U+200E, U+200F,
//! U+202A-U+202E, U+2066-U+2069) become visible escapes ("\x1b", "\u202e"),
//! and bytes that are not UTF-8 become "\xNN". Everything else, other
//! scripts and right-to-left text included, is kept as it is.
//! For file names, keys and errors that came from outside.
std::string TerminalSafe(std::string_view s);

}  // namespace docpipe
