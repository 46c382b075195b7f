#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace docpipe {

// The opaque cursor of a list that belongs to one owner (a document's audit
// trail, its chunks): base64url of [kind, owner, position], so a cursor is
// refused by another list and by another owner's, never read from the wrong
// place.
std::string EncodeListCursor(std::string_view kind, const std::string& owner, const std::string& position);
//! The position to continue after; InvalidInput, its message starting with
//! "cursor:" (the parameter's name), for a malformed cursor, one of another
//! kind or one made for another owner (`owner_noun` says what it was made
//! for: "another document's audit trail").
Result<std::string> DecodeListCursor(const std::string& cursor, std::string_view kind, const std::string& owner,
                                     std::string_view owner_noun);

}  // namespace docpipe
