#include "pipeline/document_limits.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace docpipe {

std::string LimitSettingNames(const std::string& limit) {
  std::string upper = limit;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return fmt::format("limits.{} or DOCPIPE_{}", limit, upper);
}

Status LimitExceeded(const std::string& name, const std::string& limit, const std::string& what) {
  return Status::InvalidInput(
      fmt::format("{}: over the document limit {}: {} (raise it with {})", name, limit, what, LimitSettingNames(limit)));
}

Status ExtractionBudget::AddPage(int64_t chars) {
  ++pages_;
  chars_ += chars;
  if (pages_ > limits_.max_pages) {
    return LimitExceeded(name_, "max_pages", fmt::format("more than {} pages", limits_.max_pages));
  }
  if (chars_ > limits_.max_chars) {
    return LimitExceeded(name_, "max_chars",
                         fmt::format("more than {} characters by page {}", limits_.max_chars, pages_));
  }
  if (chars_ > DocumentLimits::kExpansionFloorChars && source_bytes_ > 0 &&
      static_cast<double>(chars_) > limits_.max_expansion_ratio * static_cast<double>(source_bytes_)) {
    return LimitExceeded(name_, "max_expansion_ratio",
                         fmt::format("{} characters from {} bytes by page {} is more than {:g} characters per byte",
                                     chars_, source_bytes_, pages_, limits_.max_expansion_ratio));
  }
  return Status::Ok();
}

}  // namespace docpipe
