#pragma once

// Shared by the fuzz targets that read HTTP-shaped inputs (http_api,
// aws_answers): header lines up to the first blank line.

#include <cctype>
#include <map>
#include <string>
#include <string_view>

namespace docpipe::fuzz {

// Reads "Name: value" lines from the front of `in` up to and including the
// first blank line (or the end), names lower-cased, values without leading
// spaces or a trailing '\r'; the first of a repeated name wins. Lines without
// a colon are skipped.
inline void ReadHeaderLines(std::string_view& in, std::map<std::string, std::string>& headers) {
  while (!in.empty()) {
    const size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
    if (line.empty() || line == "\r") break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
    headers.emplace(std::move(name), std::string(value));
  }
}

}  // namespace docpipe::fuzz
