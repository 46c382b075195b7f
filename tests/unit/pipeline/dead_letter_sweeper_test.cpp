// SweepDeadLetters (pipeline/dead_letter_sweeper.h) on the embedded adapters
// and the fake clock: a poison message in the dead-letter queue (every
// delivery claimed) fails its version once the lease has run out; one whose
// deliveries were not all claimed (lost on the way) is requeued, a bounded
// number of times; finished versions lose their dead letters; live versions,
// foreign messages and failing tables leave everything as it was.
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
constexpr int kMaxReceives = 2;  // the work queue's max_receive_count below

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

  // A version whose worker died in `stage`: claimed under a lease that ends
  // `lease_left_ms` from now, its message dead-lettered (two deliveries
  // allowed, the third moves it). `claims` of the two deliveries reached a
  // worker's claim (the control record counts them per message); by default
  // both did: a poison document.
  Registration Poisoned(const std::string& name, const std::string& stage, int64_t lease_left_ms,
                        int claims = kMaxReceives) {
    testing::WriteFile(ws_.dir().Join(name), "content of " + name);
    Result<Registration> reg = registrar_.RegisterLocalFile(ws_.dir().Join(name), "input/" + name);
    EXPECT_TRUE(reg.ok()) << reg.status().ToString();
    Result<std::vector<QueueMessage>> got = ws_.real_queue().Receive(1, 0, 0);
    EXPECT_TRUE(got.ok() && got->size() == 1u);
    const std::string message_id = got.ok() && !got->empty() ? got->front().message_id : "";
    EXPECT_EQ(ws_.real_queue().Receive(1, 0, 0)->size(), 1u);
    EXPECT_TRUE(ws_.real_queue().Receive(1, 0, 0)->empty()) << "moved to the dead letters";
    ControlRecord r = Stored(*reg);
    r.status = DocStatus::kInProgress;
    r.current_stage = stage;
    r.lease_owner = "dead-worker:1";
    r.lease_expires_at = clock_.NowMs() + lease_left_ms;
    r.stage_status[stage].status = StageState::kInProgress;
    r.stage_status[stage].attempts = claims;
    if (claims > 0) {
      r.claim_message_id = message_id;
      r.message_claims = claims;
    }
    EXPECT_TRUE(ws_.real_control().Update(r).ok());
    return *reg;
  }
  int Sweep() { return SweepDeadLetters(ws_.services(), events_, kMaxReceives); }
  // Messages waiting on the work queue, visible or delayed.
  int64_t Waiting() {
    Result<QueueStats> s = ws_.real_queue().Stats();
    return s.ok() ? s->visible + s->delayed : -1;
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
  EXPECT_EQ(Sweep(), 1);

  ControlRecord rec = Stored(reg);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.error_stage, "extract");
  EXPECT_NE(rec.last_error.find("poison message"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("delivered 2 times and claimed 2 times"), std::string::npos) << rec.last_error;
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
  EXPECT_EQ(audit->back().details["claims"], 2);
  Result<std::string> error = ws_.real_store().Get(ErrorKey(reg.document_id));
  ASSERT_TRUE(error.ok()) << "errors/ says why";
  EXPECT_EQ(nlohmann::json::parse(*error)["stage"], "extract");
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 1);
  EXPECT_EQ(sink_.names, std::vector<std::string>{metric_name::kDocumentsFailed});

  // Idempotent: the message stays for operators, the version is not failed twice.
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Dead(), 1);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 1);
  EXPECT_EQ(Waiting(), 0) << "a poison document is not requeued";
}

// The soak's doc-0388: six deliveries, two claims. Receives whose answers
// were lost (SQS counted them) or whose workers were killed before claiming
// spent the message's receive budget, not the document.
TEST_F(DeadLetterSweeperTest, ADeadLetterWithDeliveriesNeverClaimedIsRequeuedNotFailed) {
  Registration reg = Poisoned("a.pdf", "enrich", -1, /*claims=*/1);
  EXPECT_EQ(Sweep(), 0) << "nothing failed";

  ControlRecord rec = Stored(reg);
  EXPECT_EQ(rec.status, DocStatus::kInProgress) << "the next claim takes it over (and counts the retry)";
  EXPECT_EQ(rec.dead_letter_requeues, 1);
  EXPECT_EQ(rec.last_error, "");
  EXPECT_EQ(Dead(), 0) << "the dead letter is gone";
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 0);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "REQUEUED"), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 0);
  EXPECT_FALSE(ws_.real_store().Get(ErrorKey(reg.document_id)).ok()) << "no errors/ record";
  Result<std::vector<QueueMessage>> fresh = ws_.real_queue().Receive(10, 0, 0);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->size(), 1u) << "one fresh message";
  EXPECT_EQ(fresh->front().body, WorkMessageBody(reg.document_id, reg.processing_version));
  EXPECT_EQ(fresh->front().receive_count, 1);
  std::vector<nlohmann::json> logged = ws_.logger().Lines("dead_letter_requeued");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0]["claims"], 1);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "REQUEUED"), 1) << "requeued once";
}

// The 1,000-document soak's doc-0544: two workers' sweeps looked at its dead
// letter at once; the second read the record after the first had requeued
// it and requeued it again. A dead letter is requeued once.
TEST_F(DeadLetterSweeperTest, ADeadLetterWhoseDeleteDidNotLandIsNotRequeuedTwice) {
  Registration reg = Poisoned("a.pdf", "enrich", -1, /*claims=*/1);
  ws_.faults().Fail("queue.DeleteDeadLetter", Status::Unavailable("DLQ unreachable"));
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Dead(), 1) << "the delete failed";
  EXPECT_EQ(Waiting(), 1);
  ws_.faults().Clear();
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Dead(), 0) << "the next sweep deletes it";
  EXPECT_EQ(Waiting(), 1) << "and sends nothing more";
  EXPECT_EQ(Stored(reg).dead_letter_requeues, 1);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "REQUEUED"), 1);
}

TEST_F(DeadLetterSweeperTest, ClaimsFromAnotherMessageDoNotCount) {
  Registration reg = Poisoned("a.pdf", "extract", -1);
  ControlRecord r = Stored(reg);
  r.claim_message_id = "an-earlier-message";  // e.g. before a retry sent a fresh one
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kInProgress);
  EXPECT_EQ(Stored(reg).dead_letter_requeues, 1);
  EXPECT_EQ(Dead(), 0);
  EXPECT_EQ(Waiting(), 1);
}

TEST_F(DeadLetterSweeperTest, APendingVersionIsRequeuedAfterItsBackoff) {
  Registration reg = Poisoned("a.pdf", "chunk", -1, /*claims=*/0);
  ControlRecord r = Stored(reg);
  r.status = DocStatus::kPending;  // a retry waiting for its backoff
  r.lease_owner.clear();
  r.lease_expires_at = 0;
  r.next_attempt_at = clock_.NowMs() + 5'000;
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kPending);
  Result<QueueStats> stats = ws_.real_queue().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->delayed, 1) << "not before next_attempt_at";
  EXPECT_EQ(stats->dead, 0);
}

// A message that never reaches a claim (deliveries always lost, or a worker
// that dies before it claims) cannot cycle for ever: max_retries requeues.
TEST_F(DeadLetterSweeperTest, RequeuesAreBoundedByTheRetryBudget) {
  Registration reg = Poisoned("a.pdf", "embed", -1, /*claims=*/0);
  ControlRecord r = Stored(reg);
  ASSERT_EQ(r.max_retries, 3);
  r.dead_letter_requeues = 3;
  ASSERT_TRUE(ws_.real_control().Update(r).ok());
  EXPECT_EQ(Sweep(), 1);
  ControlRecord rec = Stored(reg);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_NE(rec.last_error.find("dead-lettered after 3 requeues"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("claimed only 0 times"), std::string::npos) << rec.last_error;
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 1);
  EXPECT_EQ(Dead(), 1) << "kept for operators";
  EXPECT_EQ(Waiting(), 0);
}

TEST_F(DeadLetterSweeperTest, ALiveLeaseIsLeftAloneUntilItRunsOut) {
  Registration reg = Poisoned("a.pdf", "embed", kLeaseMs);
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kInProgress);
  clock_.Advance(kLeaseMs - 1);
  EXPECT_EQ(Sweep(), 0) << "the lease ends at, not before, its time";
  clock_.Advance(1);
  EXPECT_EQ(Sweep(), 1);
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
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Dead(), 2) << "the finished version's dead letter is deleted; the foreign ones stay";
  EXPECT_EQ(Waiting(), 0);
  EXPECT_EQ(Stored(done).status, DocStatus::kCompleted);
  EXPECT_EQ(ws_.CountAudit(done.document_id, "DOCUMENT_FAILED"), 0);
  EXPECT_TRUE(sink_.names.empty());
}

TEST_F(DeadLetterSweeperTest, TableAndQueueErrorsLeaveTheVersionForALaterSweep) {
  Registration reg = Poisoned("a.pdf", "chunk", -1);

  ws_.faults().Fail("queue.PeekDeadLetters", Status::Unavailable("DLQ unreachable"));
  EXPECT_EQ(Sweep(), 0);
  std::vector<nlohmann::json> logged = ws_.logger().Lines("dead_letter_peek_failed");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0]["error"].get<std::string>().find("DLQ unreachable"), std::string::npos);

  ws_.faults().Clear();
  ws_.faults().Fail("control.Get", Status::Unavailable("control table down"));
  EXPECT_EQ(Sweep(), 0);
  ws_.faults().Clear();
  ws_.faults().Fail("control.Update", Status::Conflict("a worker moved it on"));
  EXPECT_EQ(Sweep(), 0);
  EXPECT_EQ(Stored(reg).status, DocStatus::kInProgress);
  EXPECT_EQ(ws_.CountAudit(reg.document_id, "DOCUMENT_FAILED"), 0) << "nothing audited for a write that failed";
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsFailed), 0);

  ws_.faults().Clear();
  EXPECT_EQ(Sweep(), 1) << "the next sweep finishes the job";
}

}  // namespace
}  // namespace docpipe
