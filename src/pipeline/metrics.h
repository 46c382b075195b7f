#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace docpipe {

// Daily metric names (metrics table sort keys).
inline constexpr const char* kMetricDocumentsCompleted = "documents_completed";
inline constexpr const char* kMetricDocumentsFailed = "documents_failed";
inline constexpr const char* kMetricPages = "pages";
inline constexpr const char* kMetricChunks = "chunks";
inline constexpr const char* kMetricTokens = "tokens";

// Stage durations are kept as counters of log-scale buckets (each 20% wider
// than the last), because counters can be added atomically by any number of
// workers on SQLite and DynamoDB alike; percentiles are derived on read and
// overstate by at most one bucket width.
std::string StageDurationBucketMetric(const std::string& stage, int64_t duration_ms);

// Worker heartbeats (pipeline/worker_heartbeat.h) live in the metrics table
// too, as snapshots in the day's row: "worker#<id>#seen_ms" and friends.
// SummarizeDay leaves them out of the counters.
inline constexpr const char* kWorkerMetricPrefix = "worker#";

struct StageDurationSummary {
  int64_t count = 0;
  double p50_ms = 0;
  double p95_ms = 0;
};

struct DailyMetrics {
  std::string date;
  std::map<std::string, double> counters;               // documents_completed, pages, ...
  std::map<std::string, StageDurationSummary> stages;  // by stage name
};

DailyMetrics SummarizeDay(const std::string& date, const std::map<std::string, double>& raw);
nlohmann::json ToJson(const DailyMetrics& m);

}  // namespace docpipe
