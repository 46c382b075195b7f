#include "common/strings.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace docpipe {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

namespace {

// Code points a terminal acts on or that reorder what is shown around them.
bool IsUnsafeForTerminal(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string TerminalSafe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t length = 1;
    const char32_t cp = DecodeUtf8(s, i, &length);
    if (cp == 0xFFFD && length == 1) {  // a byte that is not UTF-8 (a real U+FFFD takes 3)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
    } else if (IsUnsafeForTerminal(cp)) {
      const auto v = static_cast<unsigned>(cp);
      out += cp < 0x80 ? fmt::format("\\x{:02x}", v) : fmt::format("\\u{:04x}", v);
    } else {
      out.append(s.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace docpipe
