// EventRecorder (pipeline/event_recorder.h) on the embedded adapters and the
// fake clock: the fields every audit event carries, daily metrics, live
// metrics, errors/ records, and what happens when a table or the store
// fails: transient errors are retried on the clock, lasting ones are logged
// and never fail the caller.
#include "pipeline/event_recorder.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "pipeline/object_keys.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

constexpr int64_t kTtlDays = 7;

class RecordingSink final : public MetricSink {
 public:
  void Record(MetricDatum datum) override {
    std::lock_guard lock(mu_);
    data.push_back(std::move(datum));
  }
  Status Flush() override { return Status::Ok(); }
  std::mutex mu_;
  std::vector<MetricDatum> data;
};

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest() { rec_ = Record(); }

  static ControlRecord Record() {
    ControlRecord r;
    r.document_id = "doc-1";
    r.processing_version = "000002";
    r.source_key = "input/manual.pdf";
    r.retry_count = 1;
    return r;
  }
  std::vector<AuditEvent> Events() {
    Result<std::vector<AuditEvent>> got = ws_.real_audit().List(rec_.document_id);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<AuditEvent>{};
  }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_};
  EventRecorder events_{ws_.services(), "host:7", kTtlDays};
  ControlRecord rec_;
};

TEST_F(EventRecorderTest, AuditEventsCarryTheDocumentWorkerTimeAndExpiry) {
  events_.Audit(rec_, audit_event::kStageCompleted, "chunk", 1500, "", {{"chunks", 3}});
  std::vector<AuditEvent> got = Events();
  ASSERT_EQ(got.size(), 1u);
  const AuditEvent& e = got[0];
  EXPECT_FALSE(e.event_id.empty());
  EXPECT_EQ(e.document_id, "doc-1");
  EXPECT_EQ(e.processing_version, "000002");
  EXPECT_EQ(e.event_type, "STAGE_COMPLETED");
  EXPECT_EQ(e.stage, "chunk");
  EXPECT_EQ(e.duration_ms, 1500);
  EXPECT_EQ(e.worker_id, "host:7");
  EXPECT_EQ(e.time, clock_.NowMs());
  EXPECT_EQ(e.details, (nlohmann::json{{"chunks", 3}}));
  EXPECT_EQ(e.ttl, clock_.NowMs() / 1000 + kTtlDays * 86400);
  EXPECT_EQ(events_.TtlFromNow(), e.ttl);
  EXPECT_EQ(events_.worker_id(), "host:7");

  std::vector<nlohmann::json> logged = ws_.logger().Lines("STAGE_COMPLETED");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["document_id"], "doc-1");
  EXPECT_EQ(logged[0]["processing_version"], "000002");
  EXPECT_EQ(logged[0]["worker_id"], "host:7");
  EXPECT_EQ(logged[0]["stage"], "chunk");
  EXPECT_EQ(logged[0]["duration_ms"], 1500);
  EXPECT_EQ(logged[0]["level"], static_cast<int>(LogLevel::kInfo));
  EXPECT_FALSE(logged[0].contains("error"));
}

TEST_F(EventRecorderTest, FailuresAreWarningsWithTheErrorCapped) {
  const std::string long_error(5000, 'e');
  events_.Audit(rec_, audit_event::kStageFailed, "embed", 0, long_error);
  events_.Audit(rec_, audit_event::kDocumentFailed, "embed", 0, "boom");
  events_.Audit(rec_, audit_event::kLeaseExpired);
  std::vector<AuditEvent> got = Events();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].error.size(), kMaxErrorChars);
  for (const char* type : {"STAGE_FAILED", "DOCUMENT_FAILED", "LEASE_EXPIRED"}) {
    std::vector<nlohmann::json> logged = ws_.logger().Lines(type);
    ASSERT_EQ(logged.size(), 1u) << type;
    EXPECT_EQ(logged[0]["level"], static_cast<int>(LogLevel::kWarn)) << type;
  }
  EXPECT_EQ(ws_.logger().Lines("STAGE_FAILED")[0]["error"].get<std::string>().size(), kMaxErrorChars);
  EXPECT_FALSE(ws_.logger().Lines("LEASE_EXPIRED")[0].contains("stage"));
}

TEST_F(EventRecorderTest, EventsOfOneMillisecondReadBackInPipelineOrder) {
  // A fast document: every event in the same millisecond (the fake clock
  // stands still). Completions get derived ids, the rest drawn ones; the
  // trail still reads in the order the pipeline made them.
  const TimeMs now = clock_.NowMs();
  std::vector<std::string> expected;
  events_.Audit(rec_, audit_event::kDocumentReceived);
  expected.push_back("DOCUMENT_RECEIVED/");
  for (const char* stage : {"extract", "chunk", "enrich", "embed", "load"}) {
    events_.Audit(rec_, audit_event::kStageStarted, stage);
    events_.AuditOnce(rec_, audit_event::kStageCompleted, stage, now, 0);
    expected.push_back(std::string("STAGE_STARTED/") + stage);
    expected.push_back(std::string("STAGE_COMPLETED/") + stage);
  }
  events_.AuditOnce(rec_, audit_event::kDocumentCompleted, "", now, 0);
  expected.push_back("DOCUMENT_COMPLETED/");
  std::vector<std::string> got;
  for (const AuditEvent& e : Events()) {
    EXPECT_EQ(e.time, now);
    got.push_back(e.event_type + "/" + e.stage);
  }
  EXPECT_EQ(got, expected);
  // A failed stage, its retry and the next attempt; a lease taken back first.
  ControlRecord other = rec_;
  other.document_id = "doc-2";
  events_.Audit(other, audit_event::kLeaseExpired, "embed");
  events_.Audit(other, audit_event::kStageStarted, "embed");
  events_.Audit(other, audit_event::kStageFailed, "embed", 0, "timeout");
  events_.Audit(other, audit_event::kRetryScheduled, "embed");
  Result<std::vector<AuditEvent>> trail = ws_.real_audit().List("doc-2");
  ASSERT_TRUE(trail.ok());
  std::vector<std::string> types;
  for (const AuditEvent& e : *trail) types.push_back(e.event_type);
  EXPECT_EQ(types, (std::vector<std::string>{"LEASE_EXPIRED", "STAGE_STARTED", "STAGE_FAILED", "RETRY_SCHEDULED"}));
}

TEST_F(EventRecorderTest, NoExpiryWhenTtlDaysIsZero) {
  EventRecorder keep(ws_.services(), "w", 0);
  EXPECT_EQ(keep.TtlFromNow(), 0);
  keep.Audit(rec_, audit_event::kDocumentReceived);
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0].ttl, 0);
}

TEST_F(EventRecorderTest, TransientAuditFailuresAreRetriedOnTheClock) {
  ws_.faults().Fail("audit.Append", Status::Unavailable("database is locked"), 2);
  const TimeMs before = clock_.NowMs();
  events_.Audit(rec_, audit_event::kDocumentReceived);
  EXPECT_EQ(ws_.faults().Calls("audit.Append"), 3);
  ASSERT_EQ(Events().size(), 1u) << "written once, by the third attempt";
  EXPECT_EQ(clock_.sleeps(), 2) << "a backoff between attempts, on the clock";
  EXPECT_GE(clock_.NowMs() - before, 25 + 50) << "jittered backoffs of at least 25 and 50 ms";
  EXPECT_TRUE(ws_.logger().Lines("audit_write_failed").empty());
}

TEST_F(EventRecorderTest, ALastingAuditFailureIsLoggedAndNeverRaised) {
  ws_.faults().Fail("audit.Append", Status::Unavailable("audit table down"));
  events_.Audit(rec_, audit_event::kStageStarted, "extract");
  EXPECT_EQ(ws_.faults().Calls("audit.Append"), 5) << "five attempts";
  EXPECT_TRUE(Events().empty());
  std::vector<nlohmann::json> logged = ws_.logger().Lines("audit_write_failed");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["audit_event"], "STAGE_STARTED");
  EXPECT_EQ(logged[0]["document_id"], "doc-1");
  EXPECT_NE(logged[0]["audit_error"].get<std::string>().find("audit table down"), std::string::npos);
  EXPECT_EQ(logged[0]["level"], static_cast<int>(LogLevel::kError));
  EXPECT_TRUE(ws_.logger().Lines("STAGE_STARTED").empty()) << "the event itself is not logged as written";

  // An error that retrying cannot mend is tried once.
  ws_.faults().Fail("audit.Append", Status::InvalidInput("event too large"));
  events_.Audit(rec_, audit_event::kStageStarted, "chunk");
  EXPECT_EQ(ws_.faults().Calls("audit.Append"), 6);
  EXPECT_EQ(ws_.logger().Lines("audit_write_failed").size(), 2u);
}

TEST_F(EventRecorderTest, CountAddsToTheRowOfTheDayOnTheClock) {
  events_.Count("pages", 3);
  events_.Count("pages", 4.5);
  EXPECT_DOUBLE_EQ(ws_.Metric("pages"), 7.5);
  const std::string today = FormatDate(clock_.NowMs());
  clock_.Advance(24 * 3600 * 1000);
  events_.Count("pages", 1);
  EXPECT_DOUBLE_EQ(ws_.Metric("pages"), 1) << "a new day, a new row";
  EXPECT_DOUBLE_EQ(ws_.real_metrics().GetDay(today)->at("pages"), 7.5);
}

TEST_F(EventRecorderTest, MetricFailuresAreRetriedThenLogged) {
  ws_.faults().Fail("metrics.Add", Status::Unavailable("busy"), 1);
  events_.Count("chunks", 2);
  EXPECT_DOUBLE_EQ(ws_.Metric("chunks"), 2);
  EXPECT_EQ(ws_.faults().Calls("metrics.Add"), 2);

  ws_.faults().Fail("metrics.Add", Status::Unavailable("metrics table down"));
  events_.Count("chunks", 5);
  EXPECT_DOUBLE_EQ(ws_.Metric("chunks"), 2);
  std::vector<nlohmann::json> logged = ws_.logger().Lines("metric_write_failed");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["metric"], "chunks");
  EXPECT_NE(logged[0]["error"].get<std::string>().find("metrics table down"), std::string::npos);
}

TEST_F(EventRecorderTest, PublishGoesToTheSinkWhenThereIsOne) {
  events_.Publish(metric_name::kDocumentsProcessed, 1);  // no sink: nothing, no crash
  RecordingSink sink;
  ws_.services().metric_sink = &sink;
  events_.Publish(metric_name::kStageDuration, 1234, "Milliseconds", {{"Stage", "embed"}});
  ws_.services().metric_sink = nullptr;
  ASSERT_EQ(sink.data.size(), 1u);
  EXPECT_EQ(sink.data[0].name, "StageDuration");
  EXPECT_DOUBLE_EQ(sink.data[0].value, 1234);
  EXPECT_EQ(sink.data[0].unit, "Milliseconds");
  EXPECT_EQ(sink.data[0].dimensions, (std::map<std::string, std::string>{{"Stage", "embed"}}));
  EXPECT_EQ(sink.data[0].time, clock_.NowMs());
}

TEST_F(EventRecorderTest, ErrorRecordsSayWhyTheVersionFailed) {
  events_.WriteErrorRecord(rec_, "embed", Status::Unavailable("OpenAI answered 503"));
  Result<std::string> stored = ws_.real_store().Get(ErrorKey("doc-1"));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  nlohmann::json err = nlohmann::json::parse(*stored);
  EXPECT_EQ(err["document_id"], "doc-1");
  EXPECT_EQ(err["processing_version"], "000002");
  EXPECT_EQ(err["source_key"], "input/manual.pdf");
  EXPECT_EQ(err["stage"], "embed");
  EXPECT_EQ(err["error"], "OpenAI answered 503");
  EXPECT_EQ(err["error_code"], CodeName(Status::Code::kUnavailable));
  EXPECT_EQ(err["retry_count"], 1);
  EXPECT_EQ(err["time"], FormatIso8601(clock_.NowMs()));
  EXPECT_EQ(err["worker_id"], "host:7");

  ws_.faults().Fail("store.Put", Status::Unavailable("disk full"));
  events_.WriteErrorRecord(rec_, "load", Status::Internal("x"));
  std::vector<nlohmann::json> logged = ws_.logger().Lines("error_record_write_failed");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["document_id"], "doc-1");
  EXPECT_NE(logged[0]["error"].get<std::string>().find("disk full"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(*ws_.real_store().Get(ErrorKey("doc-1")))["stage"], "embed")
      << "the earlier record stays";
}

}  // namespace
}  // namespace docpipe
