#include "common/list_cursor.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "common/hash.h"

namespace docpipe {

std::string EncodeListCursor(std::string_view kind, const std::string& owner, const std::string& position) {
  return Base64UrlEncode(nlohmann::json{std::string(kind), owner, position}.dump());
}

Result<std::string> DecodeListCursor(const std::string& cursor, std::string_view kind, const std::string& owner,
                                     std::string_view owner_noun) {
  auto bad = [] { return Status::InvalidInput("cursor: malformed (take next_cursor from the previous page)"); };
  std::optional<std::string> raw = Base64UrlDecode(cursor);
  if (!raw) return bad();
  nlohmann::json c = nlohmann::json::parse(*raw, nullptr, false);
  if (!c.is_array() || c.size() != 3 || c[0] != kind || !c[1].is_string() || !c[2].is_string() ||
      c[2].get_ref<const std::string&>().empty()) {
    return bad();
  }
  if (c[1] != owner) return Status::InvalidInput("cursor: made for " + std::string(owner_noun));
  return c[2].get<std::string>();
}

}  // namespace docpipe
