// SweepDeadLetters (pipeline/dead_letter_sweeper.h) on the embedded adapters
// and the fake clock: a poison message in the dead-letter queue fails its
// version once the lease has run out; finished or live versions, foreign
// messages and failing tables leave everything as it was.
#include "pipeline/dead_letter_sweeper.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "pipeline/metrics.h"
#include "pipeline/object_keys.h"
#include "pipeline/registrar.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

constexpr int64_t kLeaseMs = 60'000;

class CountingSink final : public MetricSink {
 public:
  void Record(MetricDatum datum) override {
    std::lock_guard lock(mu_);
    names.push_back(datum.name);
  }
  Status Flush() override { return Status::Ok(); }
  std::mutex mu_;
  std::vector<std::string> names;
};

class DeadLetterSweeperTest : public ::testing::Test {
 protected:
  DeadLetterSweeperTest() { ws_.services().metric_sink = &sink_; }

  // A version whose worker died in `stage` on every delivery: claimed under
  // a lease that ends `lease_left_ms` from now, its message dead-lettered
  // (two deliveries allowed, the third moves it).
  Registration Poisoned(const std::string& name, const std::string& stage, int64_t lease_left_ms) {
    testing::WriteFile(ws_.dir().Join(name), "content of " + name);
    Result<Registration> reg = registrar_.RegisterLocalFile(ws_.dir().Join(name), "input/" + name);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    EXPECT_EQ(ws_.real_queue().Receive(1, 0, 0)->size(), 1u);
    EXPECT_EQ(ws_.real_queue().Receive(1, 0, 0)->size(), 1u);
    EXPECT_TRUE(ws_.real_queue().Receive(1, 0, 0)->empty()) << "moved to the dead letters";
    ControlRecord r = Stored(*reg);
    r.status = DocStatus::kInProgress;
    r.current_stage = stage;
    r.lease_owner = "dead-worker:1";
    r.lease_expires_at = clock_.NowMs() + lease_left_ms;
    r.stage_status[stage].status = StageState::kInProgress;
    r.stage_status[stage].attempts = 2;
    EXPECT_TRUE(ws_.real_control().Update(r).ok());
    return *reg;
  }
  ControlRecord Stored(const Registration& reg) {
    Result<ControlRecord> r = ws_.real_control().Get(reg.document_id, reg.processing_version);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ControlRecord{};
  }
  int64_t Dead() { return ws_.real_queue().Stats()->dead; }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_, SqliteWorkQueueOptions{"work", 2}};
  CountingSink sink_;
  EventRecorder events_{ws_.services(), "sweeper", 0};
  Registrar registrar_{ws_.services(), events_, 3};
};

TEST_F(DeadLetterSweeperTest, APoisonedVersionWhoseLeaseRanOutFailsOnce) {
  Registration reg = Poisoned("a.pdf", "extract", -1);
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 1);

  ControlRecord rec = Stored(reg);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.error_stage, "extract");
  EXPECT_NE(rec.last_error.find("poison message"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("delivered 2 times"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("stage 'extract'"), std::string::npos) << rec.last_error;
  EXPECT_EQ(rec.lease_owner, "");
  EXPECT_EQ(rec.lease_expires_at, 0);
  EXPECT_EQ(rec.updated_at, clock_.NowMs());
  EXPECT_EQ(rec.stage_status["extract"].status, StageState::kFailed);
  EXPECT_EQ(rec.stage_status["extract"].error, rec.last_error);
  EXPECT_EQ(rec.stage_status["extract"].attempts, 2);

  Result<std::vector<AuditEvent>> audit = ws_.real_audit().List(reg.document_id);
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->back().event_type, "DOCUMENT_FAILED");
  EXPECT_EQ(audit->back().stage, "extract");
  EXPECT_EQ(audit->back().details["error_code"], "DeadLetter");
  EXPECT_EQ(audit->back().details["receive_count"], 2);
  Result<std::string> error = ws_.real_store().Get(ErrorKey(reg.document_id));
  ASSERT_TRUE(error.ok()) << "errors/ says why";
  EXPECT_EQ(nlohmann::json::parse(*error)["stage"], "extract");
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 1);
  EXPECT_EQ(sink_.names, std::vector<std::string>{metric_name::kDocumentsFailed});

  // Idempotent: the message stays for operators, the version is not failed twice.
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  EXPECT_EQ(Dead(), 1);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 1);
}

TEST_F(DeadLetterSweeperTest, ALiveLeaseIsLeftAloneUntilItRunsOut) {
  Registration reg = Poisoned("a.pdf", "embed", kLeaseMs);
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kInProgress);
  clock_.Advance(kLeaseMs - 1);
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0) << "the lease ends at, not before, its time";
  clock_.Advance(1);
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 1);
  EXPECT_EQ(Stored(reg).status, DocStatus::kFailed);
}

TEST_F(DeadLetterSweeperTest, FinishedVersionsForeignMessagesAndUnknownVersionsAreSkipped) {
  Registration done = Poisoned("done.pdf", "load", -1);
  ControlRecord r = Stored(done);
  r.status = DocStatus::kCompleted;
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  // Messages that name no known version.
  for (const std::string& body : {std::string("not a work message"), WorkMessageBody("ghost", "000001")}) {
    ASSERT_TRUE(ws_.real_queue().Send(body, 0).ok());
    ASSERT_EQ(ws_.real_queue().Receive(1, 0, 0)->size(), 1u);
    ASSERT_EQ(ws_.real_queue().Receive(1, 0, 0)->size(), 1u);
    ASSERT_TRUE(ws_.real_queue().Receive(1, 0, 0)->empty());
  }
  ASSERT_EQ(Dead(), 3);
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  EXPECT_EQ(Stored(done).status, DocStatus::kCompleted);
  EXPECT_EQ(ws_.CountAudit(done.document_id, "DOCUMENT_FAILED"), 0);
  EXPECT_TRUE(sink_.names.empty());
}

TEST_F(DeadLetterSweeperTest, TableAndQueueErrorsLeaveTheVersionForALaterSweep) {
  Registration reg = Poisoned("a.pdf", "chunk", -1);

  ws_.faults().Fail("queue.PeekDeadLetters", Status::Unavailable("DLQ unreachable"));
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  std::vector<nlohmann::json> logged = ws_.logger().Lines("dead_letter_peek_failed");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0]["error"].get<std::string>().find("DLQ unreachable"), std::string::npos);

  ws_.faults().Clear();
  ws_.faults().Fail("control.Get", Status::Unavailable("control table down"));
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  ws_.faults().Clear();
  ws_.faults().Fail("control.Update", Status::Conflict("a worker moved it on"));
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kInProgress);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 0) << "nothing audited for a write that failed";
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 0);

  ws_.faults().Clear();
  EXPECT_EQ(SweepDeadLetters(ws_.services(), events_), 1) << "the next sweep finishes the job";
}

}  // namespace
}  // namespace docpipe
