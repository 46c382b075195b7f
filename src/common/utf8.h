#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace docpipe {

// UTF-8 helpers shared by every layer. Text inside docpipe is UTF-8; these
// walk it without ever reading past the end, whatever the bytes are.

//! Whether `c` is a continuation byte (10xxxxxx): it never starts a code point.
inline bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

//! The code point starting at `text[i]` (i < text.size()); `*length` gets the
//! bytes it takes. A byte that does not start a complete sequence of the
//! right shape decodes as U+FFFD with length 1, so a walk over any input
//! advances and never over-reads.
char32_t DecodeUtf8(std::string_view text, size_t i, size_t* length);

//! Code points of `s` (bytes that are not continuation bytes).
size_t CountCodePoints(std::string_view s);

//! The largest position <= `i` that does not fall inside a multi-byte
//! sequence: cutting `s` there splits no code point. `i` >= s.size() is
//! returned unchanged.
size_t Utf8Floor(std::string_view s, size_t i);

//! Appends code point `cp` (<= U+10FFFF) encoded as UTF-8.
void AppendUtf8(std::string& out, char32_t cp);

//! Whether every byte of `s` is ASCII (most text: no decoding needed).
inline bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

//! Whether `s` is well-formed UTF-8 (no surrogates, overlongs or > U+10FFFF).
bool IsValidUtf8(std::string_view s);

//! `s` with each maximal invalid subsequence replaced by U+FFFD, exactly as the
//! WHATWG UTF-8 decoder (TextDecoder, node's Buffer.toString) does.
std::string RepairUtf8(std::string_view s);

}  // namespace docpipe
