#include "enrich/date_finder.h"

#include <charconv>

#include "enrich/validators.h"

namespace docpipe {

namespace {

// Dates are not part of longer dotted/dashed numbers ("1.2.2024.7", ids).
#define DATE_BEFORE "(?<![\\w.\\-/:])"
#define DATE_AFTER "(?![\\w\\-/]|[.:]\\d)"
#define MONTHS                                                                                         \
  "(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|" \
  "Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\\.?"

constexpr std::string_view kIso = DATE_BEFORE
    "(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})"
    "(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?" DATE_AFTER;
constexpr std::string_view kNumeric = DATE_BEFORE "(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4})" DATE_AFTER;
constexpr std::string_view kMonthFirst = "\\b" MONTHS "\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b";
constexpr std::string_view kDayFirst =
    "\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?" MONTHS ",?\\s+(\\d{4})\\b";

#undef DATE_BEFORE
#undef DATE_AFTER
#undef MONTHS

int Num(std::string_view s) {
  int v = -1;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

Result<DateFinder> DateFinder::Create() {
  Result<Regex> iso = Regex::Compile(kIso);
  Result<Regex> numeric = Regex::Compile(kNumeric);
  Result<Regex> month_first = Regex::Compile(kMonthFirst, /*caseless=*/true);
  Result<Regex> day_first = Regex::Compile(kDayFirst, /*caseless=*/true);
  for (const Status* s : {&iso.status(), &numeric.status(), &month_first.status(), &day_first.status()}) {
    if (!s->ok()) return Status::Internal("date pattern: " + s->message());
  }
  return DateFinder(std::move(iso).value(), std::move(numeric).value(), std::move(month_first).value(),
                    std::move(day_first).value());
}

void DateFinder::Find(std::string_view text, std::string_view type, std::vector<Span>& out) const {
  iso_.ForEach(text, [&](const RegexMatch& m) {
    if (!DateValid(Num(m.Group(1)), Num(m.Group(3)), Num(m.Group(4)))) return;
    size_t end = m.End();
    if (m.Has(5)) {
      int h = Num(m.Group(5)), mi = Num(m.Group(6)), s = m.Has(7) ? Num(m.Group(7)) : 0;
      // An impossible time does not spoil the date before it.
      if (h > 23 || mi > 59 || s > 60) end = m.End(4);
    }
    out.push_back({m.Begin(), end, 0.95, type});
  });
  numeric_.ForEach(text, [&](const RegexMatch& m) {
    int a = Num(m.Group(1)), b = Num(m.Group(3)), y = Num(m.Group(4));
    // Day-first or month-first: either reading must be a real date.
    if (!DateValid(y, b, a) && !DateValid(y, a, b)) return;
    out.push_back({m.Begin(), m.End(), 0.85, type});
  });
  month_first_.ForEach(text, [&](const RegexMatch& m) {
    if (!DateValid(Num(m.Group(3)), MonthFromName(m.Group(1)), Num(m.Group(2)))) return;
    out.push_back({m.Begin(), m.End(), 0.95, type});
  });
  day_first_.ForEach(text, [&](const RegexMatch& m) {
    if (!DateValid(Num(m.Group(3)), MonthFromName(m.Group(2)), Num(m.Group(1)))) return;
    out.push_back({m.Begin(), m.End(), 0.95, type});
  });
}

}  // namespace docpipe
