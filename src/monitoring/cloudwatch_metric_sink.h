#pragma once

#include <string>

#include "aws/aws_client.h"
#include "common/logger.h"
#include "monitoring/metric_sink.h"

namespace docpipe {

struct CloudWatchSinkOptions {
  std::string metric_namespace = "DocPipe";
  int64_t flush_interval_ms = 60'000;  // CloudWatch's standard resolution is one minute
  // Constant dimensions added to every datum would multiply the metric count
  // (and cost); none by default.
};

// Publishes to CloudWatch with PutMetricData. Observations of the same metric,
// dimensions and unit within one flush interval are sent as one statistic set
// (count, sum, min, max), so a busy worker makes one call a minute, not one
// per document. A background thread flushes; failures are logged and the data
// dropped after the client's retries (metrics never hold up the pipeline).
// `client` (signing name "monitoring") must outlive the sink.
// What the sink calls (PutMetricData), with its IAM action.
const AwsOperationSet& CloudWatchMetricSinkOperations();

MetricSinkPtr NewCloudWatchMetricSink(AwsClient& client, Clock& clock, Logger& logger, CloudWatchSinkOptions options);

// The PutMetricData request bodies (JSON protocol) for `data`, at most 1,000
// datums each. Exposed for tests.
std::vector<nlohmann::json> CloudWatchPutMetricDataBodies(const std::string& metric_namespace,
                                                          const std::vector<MetricDatum>& data);

}  // namespace docpipe
