#include "pipeline/metrics.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(MetricsTest, PercentilesFromBucketCounters) {
  std::map<std::string, double> raw;
  for (int ms = 1; ms <= 100; ++ms) raw[StageDurationBucketMetric("extract", ms * 10)] += 1;
  raw["documents_completed"] = 100;
  DailyMetrics m = SummarizeDay("2026-11-26", raw);
  ASSERT_EQ(m.stages.count("extract"), 1u);
  const StageDurationSummary& s = m.stages["extract"];
  EXPECT_EQ(s.count, 100);
  // True p50 = 500 ms, p95 = 950 ms; buckets overstate by < 20%.
  EXPECT_GE(s.p50_ms, 500);
  EXPECT_LE(s.p50_ms, 600);
  EXPECT_GE(s.p95_ms, 950);
  EXPECT_LE(s.p95_ms, 1140);
  EXPECT_EQ(m.counters["documents_completed"], 100);
  nlohmann::json j = ToJson(m);
  EXPECT_EQ(j["documents_failed"], 0.0);
  EXPECT_EQ(j["stage_duration_ms"]["extract"]["count"], 100);
}

}  // namespace
}  // namespace docpipe
