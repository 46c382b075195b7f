#include "monitoring/cloudwatch_metric_sink.h"

#include <gtest/gtest.h>

#include "http/curl_http_client.h"
#include "support/fake_clock.h"
#include "support/moto_fixture.h"
#include "support/scripted_http.h"

namespace docpipe {
namespace {

TEST(CloudWatchBodiesTest, ObservationsOfAMinuteBecomeOneStatisticSet) {
  const TimeMs t0 = 1795323300000;  // on a minute boundary
  std::vector<MetricDatum> data = {
      {"StageDuration", {{"Stage", "extract"}}, 120, "Milliseconds", t0 + 1000},
      {"StageDuration", {{"Stage", "extract"}}, 80, "Milliseconds", t0 + 59'000},
      {"StageDuration", {{"Stage", "chunk"}}, 5, "Milliseconds", t0 + 2000},
      {"StageDuration", {{"Stage", "extract"}}, 300, "Milliseconds", t0 + 61'000},  // next minute
      {"DocumentsProcessed", {}, 1, "Count", t0},
  };
  std::vector<nlohmann::json> bodies = CloudWatchPutMetricDataBodies("DocPipe", data);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["Namespace"], "DocPipe");
  const nlohmann::json& d = bodies[0]["MetricData"];
  ASSERT_EQ(d.size(), 4u) << d.dump(1);
  bool found = false;
  for (const auto& datum : d) {
    if (datum["MetricName"] == "StageDuration" && datum["Dimensions"][0]["Value"] == "extract" &&
        datum["Timestamp"] == t0 / 1000) {
      found = true;
      EXPECT_EQ(datum["StatisticValues"]["SampleCount"], 2.0);
      EXPECT_EQ(datum["StatisticValues"]["Sum"], 200.0);
      EXPECT_EQ(datum["StatisticValues"]["Minimum"], 80.0);
      EXPECT_EQ(datum["StatisticValues"]["Maximum"], 120.0);
      EXPECT_EQ(datum["Unit"], "Milliseconds");
      EXPECT_EQ(datum["Dimensions"][0]["Name"], "Stage");
    }
  }
  EXPECT_TRUE(found) << d.dump(1);
}

TEST(CloudWatchBodiesTest, AtMostAThousandDatumsPerCall) {
  std::vector<MetricDatum> data;
  for (int i = 0; i < 2500; ++i) data.push_back({"M", {{"N", std::to_string(i)}}, 1, "Count", 0});
  std::vector<nlohmann::json> bodies = CloudWatchPutMetricDataBodies("DocPipe", data);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0]["MetricData"].size(), 1000u);
  EXPECT_EQ(bodies[2]["MetricData"].size(), 500u);
}

TEST(CloudWatchSinkTest, FlushPublishesToCloudWatch) {
  std::string error;
  testing::MotoServer* moto = testing::SharedMotoServer(&error);
  ASSERT_NE(moto, nullptr) << testing::MotoStartFailure(error);
  testing::MotoAwsClient aws(*moto, "monitoring");
  AwsClient& client = aws.client();
  Clock* clock = &aws.clock();
  std::unique_ptr<Logger> logger = NewNullLogger();
  {
    MetricSinkPtr sink = NewCloudWatchMetricSink(client, *clock, *logger, {"DocPipeTest", 3'600'000});
    sink->Record({metric_name::kDocumentsProcessed, {}, 1, "Count", 0});
    sink->Record({metric_name::kDocumentsProcessed, {}, 1, "Count", 0});
    sink->Record({metric_name::kStageDuration, {{"Stage", "embed"}}, 42, "Milliseconds", 0});
    ASSERT_TRUE(sink->Flush().ok());
    sink->Record({metric_name::kDocumentsFailed, {}, 1, "Count", 0});
  }  // destruction flushes the rest
  testing::ProcessResult r = testing::RunBoto3(*moto, R"(
import boto3, datetime, json
cw = boto3.client('cloudwatch')
now = datetime.datetime.now(datetime.timezone.utc)
out = {}
for name in ['DocumentsProcessed', 'DocumentsFailed']:
    s = cw.get_metric_statistics(Namespace='DocPipeTest', MetricName=name, Statistics=['Sum', 'SampleCount'],
        StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=5), Period=3600)
    out[name] = sum(p['Sum'] for p in s['Datapoints'])
out['dims'] = [m['Dimensions'] for m in cw.list_metrics(Namespace='DocPipeTest', MetricName='StageDuration')['Metrics']]
print(json.dumps(out))
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["DocumentsProcessed"], 2.0) << j.dump();
  EXPECT_EQ(j["DocumentsFailed"], 1.0) << j.dump();
  EXPECT_EQ(j["dims"].dump(), R"([[{"Name":"Stage","Value":"embed"}]])");
}

// The periodic flush runs on the sink's clock: a fake one drives it, so the
// minute between flushes takes no real time.
TEST(CloudWatchFlushTest, FlushesEveryIntervalOfClockTime) {
  testing::ScriptedHttpClient http;
  CredentialsProviderPtr creds = NewStaticCredentialsProvider({"AKIDTEST", "secret", "", 0});
  testing::FakeClock clock;
  RetryQuota quota;
  AwsServiceConfig sc;
  sc.signing_name = "monitoring";
  sc.endpoint = "http://127.0.0.1:9";
  AwsClient client(sc, http, *creds, clock, quota);
  std::unique_ptr<Logger> logger = NewNullLogger();
  const std::string kPut = "GraniteServiceVersion20100801.PutMetricData";
  {
    MetricSinkPtr sink = NewCloudWatchMetricSink(client, clock, *logger, {"DocPipeTest", 60'000});
    ASSERT_TRUE(clock.AwaitWaits(1));
    sink->Record({metric_name::kDocumentsProcessed, {}, 1, "Count", 0});
    // Not due yet: the loop stays in its wait (no new wait begins within 50 ms
    // of real time, which a wrong early tick would start).
    clock.Advance(59'999);
    EXPECT_FALSE(clock.AwaitWaits(clock.waits() + 1, 50));
    EXPECT_EQ(http.CountWithHeader("X-Amz-Target", kPut), 0u) << "not before the interval";
    ASSERT_TRUE(clock.AdvanceAndSettle(1));
    EXPECT_EQ(http.CountWithHeader("X-Amz-Target", kPut), 1u);
    ASSERT_TRUE(clock.AdvanceAndSettle(60'000));
    EXPECT_EQ(http.CountWithHeader("X-Amz-Target", kPut), 1u) << "nothing recorded, nothing sent";
    sink->Record({metric_name::kDocumentsFailed, {}, 1, "Count", 0});
  }  // destruction flushes the rest
  ASSERT_EQ(http.CountWithHeader("X-Amz-Target", kPut), 2u);
  EXPECT_NE(http.requests().back().body.find("DocumentsFailed"), std::string::npos);
}

}  // namespace
}  // namespace docpipe
