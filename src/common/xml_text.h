#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docpipe {

// Small helpers for the flat, machine-written XML of AWS answers (S3, STS):
// a scan for elements by name is enough, and keeps a general XML library out
// of the build. Not a general parser.

// Inner text (raw, entities not decoded) of every element named `tag`, in
// document order. Elements of the same name must not nest; a self-closing
// element yields "".
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
std::optional<std::string_view> XmlFirst(std::string_view xml, std::string_view tag);
// The first element's text with entities decoded.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

// Decodes the five predefined entities and numeric character references;
// anything else is kept verbatim.
std::string XmlUnescape(std::string_view s);
std::string XmlEscape(std::string_view s);
// False for control characters XML 1.0 cannot carry even as references.
bool XmlCanCarry(std::string_view s);

}  // namespace docpipe
