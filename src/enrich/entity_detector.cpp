#include "enrich/entity_detector.h"

#include <string>

#include "enrich/date_finder.h"
#include "enrich/regex.h"
#include "enrich/text_span.h"

namespace docpipe {

namespace {

constexpr std::string_view kQuantity = "QUANTITY";
constexpr std::string_view kDate = "DATE";

#define NUMBER "\\d+(?:,\\d{3})*(?:\\.\\d+)?"
// Scale words make "$5 million" one quantity.
#define SCALE "(?:\\s?(?:thousand|million|billion|trillion|[KMB]n?)\\b)?"

constexpr std::string_view kMoneySymbolFirst =
    "(?<![\\w$])(?:US\\$|A\\$|C\\$|\\$|€|£|¥)\\s?" NUMBER SCALE "(?!\\d)";
constexpr std::string_view kMoneyCodeAfter =
    "(?<![\\w.])" NUMBER SCALE
    "\\s?(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR|dollars?|euros?|pounds sterling|cents?|yen)\\b";
constexpr std::string_view kPercent = "(?<![\\w.])" NUMBER "\\s?(?:%|percent\\b|per cent\\b)";
// Case matters for units (MB vs mb, "m" vs "M"); one-letter units only when
// attached to the number ("60W", "500g"), never "5 m" or "3 in".
constexpr std::string_view kMeasure =
    "(?<![\\w.])" NUMBER
    "(?:\\s?(?:kg|mg|µg|lbs?|oz|km|cm|mm|µm|nm|mi|ft|yd|KiB|MiB|GiB|TiB|KB|kB|MB|GB|TB|PB|Kb|Mb|Gb|Tb|"
    "kbps|Mbps|Gbps|bytes?|bits?|Hz|kHz|MHz|GHz|ms|µs|ns|sec|secs|seconds?|minutes?|mins?|hours?|hrs?|"
    "days?|weeks?|months?|years?|kW|kWh|MW|MWh|GW|mAh|mA|°C|°F|ml|mL|liters?|litres?|meters?|metres?|"
    "kilometers?|kilometres?|kilograms?|grams?|pounds?|miles?|feet|foot|inches|tons?|tonnes?|degrees?|"
    "volts?|watts?|pixels?|px|dpi)|(?:[VWLgm]))(?![\\w°])";
constexpr std::string_view kCount =
    "(?<![\\w.])" NUMBER
    "\\s(?:pages?|words?|tokens?|items?|users?|people|persons?|employees?|customers?|files?|documents?|"
    "chunks?|requests?|records?|rows?|servers?|nodes?|cores?|threads?|copies|units?|steps?|times?)\\b";

#undef NUMBER
#undef SCALE

class LocalEntityDetector : public EntityDetector {
 public:
  struct Pattern {
    Regex regex;
    double score;
  };

  LocalEntityDetector(std::vector<Pattern> quantities, DateFinder dates)
      : quantities_(std::move(quantities)), dates_(std::move(dates)) {}

  std::vector<Entity> Detect(std::string_view text) const override {
    std::vector<Span> spans;
    for (const Pattern& p : quantities_) {
      p.regex.ForEach(text, [&](const RegexMatch& m) {
        spans.push_back({m.Begin(), m.End(), p.score, kQuantity});
      });
    }
    dates_.Find(text, kDate, spans);
    return ToEntities(text, ResolveOverlaps(std::move(spans)));
  }

 private:
  std::vector<Pattern> quantities_;
  DateFinder dates_;
};

}  // namespace

Result<EntityDetectorPtr> NewEntityDetector() {
  struct Spec {
    std::string_view pattern;
    bool caseless;
    double score;
  };
  const Spec specs[] = {{kMoneySymbolFirst, false, 0.95},
                        {kMoneyCodeAfter, true, 0.95},
                        {kPercent, true, 0.95},
                        {kMeasure, false, 0.9},
                        {kCount, true, 0.85}};
  std::vector<LocalEntityDetector::Pattern> patterns;
  for (const Spec& s : specs) {
    Result<Regex> r = Regex::Compile(s.pattern, s.caseless);
    if (!r.ok())
      return Status::Internal("entity pattern " + std::string(s.pattern) + ": " + r.status().message());
    patterns.push_back({std::move(r).value(), s.score});
  }
  Result<DateFinder> dates = DateFinder::Create();
  if (!dates.ok()) return dates.status();
  return EntityDetectorPtr(
      std::make_unique<LocalEntityDetector>(std::move(patterns), std::move(dates).value()));
}

}  // namespace docpipe
