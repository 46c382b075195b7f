#include <gtest/gtest.h>

#include <set>

#include "common/backoff.h"
#include "pipeline/document_id.h"
#include "pipeline/object_keys.h"
#include "pipeline/metrics.h"

namespace docpipe {
namespace {

TEST(DocumentIdTest, StableReadableAndDistinct) {
  std::string a = DocumentIdForKey("input/manuals/Guide v2.pdf");
  EXPECT_EQ(a, DocumentIdForKey("input/manuals/Guide v2.pdf"));
  EXPECT_EQ(a.rfind("guide-v2-", 0), 0u) << a;
  EXPECT_NE(a, DocumentIdForKey("input/other/Guide v2.pdf"));  // same name, other key
  for (char c : a) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << a;
  std::string weird = DocumentIdForKey("input/Ünïcødé ✓.pdf");
  EXPECT_LE(weird.size(), 53u);
  EXPECT_EQ(DocumentIdForKey("input/___.pdf").rfind("doc-", 0), 0u);
  std::string longname = DocumentIdForKey(std::string("input/").append(300, 'x').append(".pdf"));
  EXPECT_LE(longname.size(), 53u);
}

TEST(DocumentIdTest, OutputKeys) {
  EXPECT_EQ(ExtractedPageKey("d-1", 7), "extracted/d-1/page-0007.md");
  EXPECT_EQ(ChunksKey("d-1"), "chunks/d-1.json");
  EXPECT_EQ(ErrorKey("d-1"), "errors/d-1.json");
}

TEST(BackoffTest, GrowsExponentiallyWithinJitterBounds) {
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 6; ++attempt) {
    int64_t cap = std::min<int64_t>(1000LL << (attempt - 1), 20000);
    std::set<int64_t> seen;
    for (int i = 0; i < 200; ++i) {
      int64_t d = JitteredBackoffMs(attempt, 1000, 20000, rng);
      EXPECT_GE(d, cap / 2);
      EXPECT_LE(d, cap);
      seen.insert(d);
    }
    EXPECT_GT(seen.size(), 50u) << "no jitter at attempt " << attempt;
  }
  EXPECT_EQ(JitteredBackoffMs(3, 0, 1000, rng), 0);
}

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
