#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "enrich/regex.h"
#include "enrich/text_span.h"

namespace docpipe {

// Finds calendar dates ("2024-03-15", "2024-03-15T10:30:00Z", "15/03/2024",
// "March 15, 2024", "15 March 2024") and rejects impossible ones
// ("2024-02-30", month 13). Shared by the PII detector (DATE_TIME) and the
// entity detector (DATE). Thread-safe.
class DateFinder {
 public:
  //! Internal if a built-in pattern fails to compile (a bug).
  static Result<DateFinder> Create();

  //! Appends the dates of `text` as spans of type `type` (a string literal).
  void Find(std::string_view text, std::string_view type, std::vector<Span>& out) const;

 private:
  DateFinder(Regex iso, Regex numeric, Regex month_first, Regex day_first)
      : iso_(std::move(iso)),
        numeric_(std::move(numeric)),
        month_first_(std::move(month_first)),
        day_first_(std::move(day_first)) {}

  Regex iso_;
  Regex numeric_;
  Regex month_first_;
  Regex day_first_;
};

}  // namespace docpipe
