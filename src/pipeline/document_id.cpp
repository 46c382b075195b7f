#include "pipeline/document_id.h"

#include <cctype>

#include "common/hash.h"

namespace docpipe {

std::string DocumentIdForKey(const std::string& source_key) {
  std::string name = source_key;
  if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  if (size_t dot = name.rfind('.'); dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  std::string slug;
  for (unsigned char ch : name) {
    if (slug.size() >= 40) break;
    if (std::isalnum(ch) && ch < 0x80) {
      slug.push_back(static_cast<char>(std::tolower(ch)));
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "doc";
  return slug + "-" + Sha256Hex(source_key).substr(0, 12);
}

}  // namespace docpipe
