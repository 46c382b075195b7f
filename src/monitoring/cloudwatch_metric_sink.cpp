#include "monitoring/cloudwatch_metric_sink.h"

#include <algorithm>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "common/periodic_task.h"

namespace docpipe {
namespace {

constexpr size_t kMaxDatumsPerCall = 1000;  // PutMetricData limit
constexpr size_t kMaxBuffered = 100'000;    // beyond this, new observations are dropped

struct Aggregate {
  double count = 0, sum = 0, min = 0, max = 0;
};

class CloudWatchMetricSink final : public MetricSink {
 public:
  CloudWatchMetricSink(AwsClient& client, Clock& clock, Logger& logger, CloudWatchSinkOptions options)
      : bound_(client.ForAdapter(CloudWatchMetricSinkOperations())),
        client_(*bound_),
        clock_(clock),
        logger_(logger),
        options_(std::move(options)),
        flusher_(std::make_unique<PeriodicTask>(clock_, options_.flush_interval_ms, [this] { (void)Flush(); })) {}

  ~CloudWatchMetricSink() override {
    flusher_->Stop();
    (void)Flush();
  }

  void Record(MetricDatum datum) override {
    if (datum.time == 0) datum.time = clock_.NowMs();
    std::lock_guard<std::mutex> lock(mu_);
    if (buffer_.size() >= kMaxBuffered) {
      ++dropped_;
      return;
    }
    buffer_.push_back(std::move(datum));
  }

  Status Flush() override {
    std::vector<MetricDatum> batch;
    int64_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batch.swap(buffer_);
      std::swap(dropped, dropped_);
    }
    if (dropped > 0) logger_.Warn("cloudwatch_metrics_dropped", {{"count", dropped}});
    if (batch.empty()) return Status::Ok();
    Status first_error;
    for (const nlohmann::json& body : CloudWatchPutMetricDataBodies(options_.metric_namespace, batch)) {
      // Not idempotent (a repeat would double-count), so only retried when
      // the request never reached CloudWatch.
      Result<nlohmann::json> r =
          client_.CallJson("GraniteServiceVersion20100801.PutMetricData", "1.0", body, /*idempotent=*/false);
      if (!r.ok()) {
        logger_.Warn("cloudwatch_put_failed", {{"error", r.status().ToString()}, {"datums", body["MetricData"].size()}});
        if (first_error.ok()) first_error = r.status();
      }
    }
    return first_error;
  }

 private:
  std::unique_ptr<AwsClient> bound_;  // bound to CloudWatchMetricSinkOperations()
  AwsClient& client_;
  Clock& clock_;
  Logger& logger_;
  CloudWatchSinkOptions options_;
  std::mutex mu_;
  std::vector<MetricDatum> buffer_;
  int64_t dropped_ = 0;
  std::unique_ptr<PeriodicTask> flusher_;  // last: flushes through the members above
};

}  // namespace

std::vector<nlohmann::json> CloudWatchPutMetricDataBodies(const std::string& metric_namespace,
                                                          const std::vector<MetricDatum>& data) {
  // One statistic set per metric, dimensions, unit and minute.
  using Key = std::tuple<std::string, std::map<std::string, std::string>, std::string, int64_t>;
  std::map<Key, Aggregate> sets;
  for (const MetricDatum& d : data) {
    Aggregate& a = sets[Key{d.name, d.dimensions, d.unit, d.time / 60'000}];
    if (a.count == 0) {
      a.min = a.max = d.value;
    } else {
      a.min = std::min(a.min, d.value);
      a.max = std::max(a.max, d.value);
    }
    a.count += 1;
    a.sum += d.value;
  }
  std::vector<nlohmann::json> bodies;
  nlohmann::json datums = nlohmann::json::array();
  auto emit = [&] {
    if (datums.empty()) return;
    bodies.push_back({{"Namespace", metric_namespace}, {"MetricData", std::move(datums)}});
    datums = nlohmann::json::array();
  };
  for (const auto& [key, a] : sets) {
    const auto& [name, dims, unit, minute] = key;
    nlohmann::json dimensions = nlohmann::json::array();
    for (const auto& [k, v] : dims) dimensions.push_back({{"Name", k}, {"Value", v}});
    datums.push_back({{"MetricName", name},
                      {"Dimensions", std::move(dimensions)},
                      {"Timestamp", minute * 60},  // epoch seconds
                      {"StatisticValues", {{"SampleCount", a.count}, {"Sum", a.sum}, {"Minimum", a.min}, {"Maximum", a.max}}},
                      {"Unit", unit}});
    if (datums.size() == kMaxDatumsPerCall) emit();
  }
  emit();
  return bodies;
}

const AwsOperationSet& CloudWatchMetricSinkOperations() {
  // PutMetricData has no resource ARN; policies narrow it by namespace.
  static const AwsOperationSet ops{
      "cloudwatch-metric-sink",
      "monitoring",
      {{"PutMetricData", {{"cloudwatch:PutMetricData", AwsResourceKind::kNone, "cloudwatch:namespace"}}}}};
  return ops;
}

MetricSinkPtr NewCloudWatchMetricSink(AwsClient& client, Clock& clock, Logger& logger, CloudWatchSinkOptions options) {
  return std::make_unique<CloudWatchMetricSink>(client, clock, logger, std::move(options));
}

}  // namespace docpipe
