#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace docpipe {

// One observation of an operational metric (CloudWatch's model: a name,
// dimensions, a value and a unit such as "Count" or "Milliseconds").
struct MetricDatum {
  std::string name;
  std::map<std::string, std::string> dimensions;
  double value = 0;
  std::string unit = "Count";
  TimeMs time = 0;
};

// Where live operational metrics go (alarms and dashboards), as opposed to the
// daily counters of the metrics table. Record never blocks on the network and
// never fails the caller; adapters batch. Thread-safe.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void Record(MetricDatum datum) = 0;
  //! Sends everything buffered now (also done periodically and on destruction).
  virtual Status Flush() = 0;
};

using MetricSinkPtr = std::unique_ptr<MetricSink>;

// Metric names published by the workers (namespace "DocPipe" by default); the
// CloudFormation alarms refer to them.
namespace metric_name {
inline constexpr const char* kDocumentsProcessed = "DocumentsProcessed";
inline constexpr const char* kDocumentsFailed = "DocumentsFailed";
inline constexpr const char* kPagesProcessed = "PagesProcessed";
inline constexpr const char* kStageDuration = "StageDuration";  // dimension "Stage", Milliseconds
inline constexpr const char* kStageDimension = "Stage";
}  // namespace metric_name

// Every metric published, with its unit and its dimension (nullptr: none):
// what alarms may refer to (`docpipe provision --print-plan`).
struct PublishedMetric {
  const char* name;
  const char* unit;
  const char* dimension;
};
inline constexpr PublishedMetric kPublishedMetrics[] = {
    {metric_name::kDocumentsProcessed, "Count", nullptr},
    {metric_name::kDocumentsFailed, "Count", nullptr},
    {metric_name::kPagesProcessed, "Count", nullptr},
    {metric_name::kStageDuration, "Milliseconds", metric_name::kStageDimension},
};

}  // namespace docpipe
