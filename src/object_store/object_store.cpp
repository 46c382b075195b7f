#include "object_store/object_store.h"

#include <unistd.h>

#include <fmt/format.h>

namespace docpipe {

// ---- LocalFile --------------------------------------------------------------

LocalFile::~LocalFile() {
  if (temporary_ && !path_.empty()) ::unlink(path_.c_str());
}

LocalFile::LocalFile(LocalFile&& other) noexcept
    : path_(std::move(other.path_)), temporary_(other.temporary_) {
  other.path_.clear();
  other.temporary_ = false;
}

// ---- keys -------------------------------------------------------------------

namespace {

// Checks every '/'-separated segment of `s`; `allow_partial_last` accepts an
// empty last segment (a List prefix like "input/").
Status CheckSegments(const std::string& s, bool allow_partial_last, const char* what) {
  if (s.find('\0') != std::string::npos) return Status::InvalidInput(fmt::format("{} contains NUL", what));
  if (!s.empty() && s[0] == '/') return Status::InvalidInput(fmt::format("{} '{}' is absolute", what, s));
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    bool last = end == std::string::npos;
    std::string_view seg(s.data() + start, (last ? s.size() : end) - start);
    if (seg.empty() && !(last && allow_partial_last)) {
      return Status::InvalidInput(fmt::format("{} '{}' has an empty segment", what, s));
    }
    // A partial last segment of a prefix may be "." (matching ".foo"), but
    // never a whole "." or ".." directory.
    if ((seg == "." || seg == "..") && !(last && allow_partial_last && seg == ".")) {
      return Status::InvalidInput(fmt::format("{} '{}' has a '{}' segment", what, s, seg));
    }
    if (seg.substr(0, kReservedObjectKeyPrefix.size()) == kReservedObjectKeyPrefix && !(last && allow_partial_last)) {
      return Status::InvalidInput(fmt::format("{} '{}' uses the reserved prefix {}", what, s, kReservedObjectKeyPrefix));
    }
    if (last) break;
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

Status ValidateObjectKey(const std::string& key) {
  if (key.empty()) return Status::InvalidInput("object key is empty");
  return CheckSegments(key, /*allow_partial_last=*/false, "object key");
}

Status ValidateObjectPrefix(const std::string& prefix) {
  return CheckSegments(prefix, /*allow_partial_last=*/true, "list prefix");
}

}  // namespace docpipe
