#pragma once

#include <string>

namespace docpipe {

// The document id for a source key: a readable slug of the file name plus a
// hash of the whole key, so the same key always names the same document and
// different keys never collide in practice. "input/Guide v2.pdf" ->
// "guide-v2-3f2a9c1b0d4e". Only [a-z0-9-], at most 53 characters.
std::string DocumentIdForKey(const std::string& source_key);

}  // namespace docpipe
