#include "common/xml_text.h"

#include <algorithm>
#include <cstdlib>

#include "common/utf8.h"

namespace docpipe {

// S3's answers are small, flat and machine-written: a scan for elements by
// name is enough, and keeps a general XML library out of the build.

// Inner text of every element named `tag` in `xml`, in document order
// (elements of the same name must not nest; S3's do not). A self-closing
// element yields "".
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  // Appended piece by piece: GCC 12 at -O3 warns (falsely) about
  // operator+(const char*, std::string).
  std::string open = "<";
  open.append(tag);
  std::string close = "</";
  close.append(tag).append(">");
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) break;
    char c = xml[after];
    if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      pos = after;  // a longer name with this prefix (<KeyCount> for <Key>)
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string_view> XmlFirst(std::string_view xml, std::string_view tag) {
  auto all = XmlElements(xml, tag);
  if (all.empty()) return std::nullopt;
  return all.front();
}

// Resolves the five predefined entities and character references (S3 writes
// "&quot;" around ETags and "&#x0D;" for control characters in keys).
std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    std::optional<char> named;
    if (ent == "amp") named = '&';
    if (ent == "lt") named = '<';
    if (ent == "gt") named = '>';
    if (ent == "quot") named = '"';
    if (ent == "apos") named = '\'';
    if (named) {
      out.push_back(*named);
    } else if (ent.size() >= 2 && ent[0] == '#') {
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string digits(ent.substr(hex ? 2 : 1));
      char* end = nullptr;
      unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || cp > 0x10FFFF) {
        out.append(s.substr(i, semi - i + 1));  // not a reference: keep verbatim
      } else {
        AppendUtf8(out, static_cast<uint32_t>(cp));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;  // kept literally, XML would normalise it away
      default: out.push_back(c);
    }
  }
  return out;
}

// XML 1.0 cannot carry these control characters at all, not even as
// references; keys holding one cannot go into a DeleteObjects body.
bool XmlCanCarry(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\t' && u != '\n' && u != '\r';
  });
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  std::optional<std::string_view> raw = XmlFirst(xml, tag);
  if (!raw) return std::nullopt;
  return XmlUnescape(*raw);
}

}  // namespace docpipe
