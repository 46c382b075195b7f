#include "pipeline/metrics.h"

#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace docpipe {
namespace {

constexpr double kBucketGrowth = 1.2;
constexpr const char* kDurationPrefix = "stage_duration_ms#";

int BucketOf(int64_t ms) {
  if (ms <= 1) return 0;
  return static_cast<int>(std::ceil(std::log(static_cast<double>(ms)) / std::log(kBucketGrowth)));
}

double BucketUpperMs(int bucket) { return std::pow(kBucketGrowth, bucket); }

double Percentile(const std::map<int, double>& buckets, double total, double p) {
  double rank = std::ceil(p * total);
  double seen = 0;
  for (const auto& [b, n] : buckets) {
    seen += n;
    if (seen >= rank) return std::round(BucketUpperMs(b));
  }
  return buckets.empty() ? 0 : std::round(BucketUpperMs(buckets.rbegin()->first));
}

}  // namespace

std::string StageDurationBucketMetric(const std::string& stage, int64_t duration_ms) {
  return fmt::format("{}{}#b{:03}", kDurationPrefix, stage, BucketOf(duration_ms));
}

DailyMetrics SummarizeDay(const std::string& date, const std::map<std::string, double>& raw) {
  DailyMetrics out;
  out.date = date;
  std::map<std::string, std::map<int, double>> hist;
  const std::string prefix = kDurationPrefix;
  for (const auto& [name, value] : raw) {
    if (name.rfind(prefix, 0) == 0) {
      std::string rest = name.substr(prefix.size());  // "<stage>#bNNN"
      size_t hash = rest.rfind("#b");
      if (hash == std::string::npos) continue;
      hist[rest.substr(0, hash)][std::atoi(rest.c_str() + hash + 2)] += value;
    } else if (name.rfind(kWorkerMetricPrefix, 0) != 0) {
      out.counters[name] = value;
    }
  }
  for (const auto& [stage, buckets] : hist) {
    double total = 0;
    for (const auto& [b, n] : buckets) total += n;
    StageDurationSummary s;
    s.count = static_cast<int64_t>(total);
    s.p50_ms = Percentile(buckets, total, 0.50);
    s.p95_ms = Percentile(buckets, total, 0.95);
    out.stages[stage] = s;
  }
  return out;
}

nlohmann::json ToJson(const DailyMetrics& m) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [name, s] : m.stages) {
    stages[name] = {{"count", s.count}, {"p50_ms", s.p50_ms}, {"p95_ms", s.p95_ms}};
  }
  nlohmann::json j = {{"date", m.date}};
  for (const char* k : {"documents_received", kMetricDocumentsCompleted, kMetricDocumentsFailed,
                        "duplicates_skipped", "retries", kMetricPages, kMetricChunks, kMetricTokens}) {
    auto it = m.counters.find(k);
    j[k] = it == m.counters.end() ? 0.0 : it->second;
  }
  j["stage_duration_ms"] = stages;
  return j;
}

}  // namespace docpipe
