#include "pipeline/document_processor.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "pipeline/metrics.h"
#include "pipeline/registrar.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

using testing::ScriptedStage;

class DocumentProcessorTest : public ::testing::Test {
 protected:
  DocumentProcessorTest() {
    options_.lease_ms = 10'000;
    options_.heartbeat_ms = 3'000;
    options_.retry_base_ms = 100;
  }

  std::unique_ptr<DocumentProcessor> Processor(const std::string& worker, std::vector<Stage*> stages) {
    worker_events_.push_back(std::make_unique<EventRecorder>(*services_, worker, 0));
    return std::make_unique<DocumentProcessor>(*services_, *worker_events_.back(), std::move(stages), options_);
  }

  Registration Register(const std::string& name, const std::string& text) {
    testing::WriteFile(ws_.dir().Join("src/" + name), text);
    Registrar registrar(*services_, events_, 3);
    Result<Registration> r = registrar.RegisterLocalFile(ws_.dir().Join("src/" + name), "input/" + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  QueueMessage ReceiveOne() {
    Result<std::vector<QueueMessage>> got = queue_->Receive(1, options_.lease_ms, 0);
    EXPECT_TRUE(got.ok() && got->size() == 1);
    return got.ok() && !got->empty() ? got->front() : QueueMessage{};
  }

  int CountAudit(const std::string& id, const std::string& type) { return ws_.CountAudit(id, type); }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_};
  Services* services_ = &ws_.services();
  ObjectStore* store_ = &ws_.real_store();
  ControlTable* control_ = &ws_.real_control();
  WorkQueue* queue_ = &ws_.real_queue();
  EventRecorder events_{*services_, "worker-a", 0};
  std::vector<std::unique_ptr<EventRecorder>> worker_events_;
  ProcessorOptions options_;
  std::atomic<bool> no_cancel_{false};
};

TEST_F(DocumentProcessorTest, CompletesEveryStageOnceAndDeletesTheMessage) {
  ScriptedStage a("extract"), b("chunk");
  auto p = Processor("w1", {&a, &b});
  Registration reg = Register("a.md", "# A\n\ntext\n");
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted);
  EXPECT_EQ(rec.page_count, 3);
  EXPECT_EQ(rec.stage_status["chunk"].output_key, "chunk/" + reg.document_id);
  EXPECT_EQ(a.runs, 1);
  EXPECT_EQ(b.runs, 1);
  QueueStats stats = *queue_->Stats();
  EXPECT_EQ(stats.visible + stats.in_flight + stats.delayed, 0);
  // A duplicate delivery of a finished version is dropped without work.
  ASSERT_TRUE(queue_->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kSkipped);
  EXPECT_EQ(a.runs, 1);
}

TEST_F(DocumentProcessorTest, LiveLeaseMeansBusyExpiredLeaseMeansTakeover) {
  ScriptedStage a("extract");
  Registration reg = Register("b.md", "# B\n\ntext\n");
  // A worker claimed it and died.
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kInProgress;
  rec.lease_owner = "dead-worker";
  rec.lease_expires_at = clock_.NowMs() + 5'000;
  ASSERT_TRUE(control_->Update(rec).ok());

  auto p = Processor("w2", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kBusy);
  EXPECT_EQ(a.runs, 0);
  clock_.Advance(7'000);  // the lease has run out and the message is visible again
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted);
  EXPECT_EQ(rec.retry_count, 1);
  EXPECT_EQ(CountAudit(reg.document_id, "LEASE_EXPIRED"), 1);
}

// `reg` as a worker that died in `stage` with the retry budget used up
// (retry_count == max_retries) leaves it: IN_PROGRESS, its lease run out.
ControlRecord OutOfRetries(ControlTable& control, const Registration& reg, const std::string& stage, TimeMs now) {
  ControlRecord rec = *control.Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kInProgress;
  rec.lease_owner = "dead-worker";
  rec.retry_count = 3;  // == max_retries
  rec.takeovers = 3;    // all of them takeovers
  rec.current_stage = stage;
  rec.stage_status[stage].status = StageState::kInProgress;
  rec.stage_status[stage].attempts = 4;
  rec.stage_status[stage].interruptions = 3;  // every takeover found `stage` running
  rec.lease_expires_at = now - 1;
  return rec;
}

TEST_F(DocumentProcessorTest, LeaseExpiringTooOftenFailsTheDocument) {
  ScriptedStage a("extract");
  Registration reg = Register("c.md", "# C\n\ntext\n");
  ControlRecord rec = OutOfRetries(*control_, reg, "extract", clock_.NowMs());
  ASSERT_TRUE(control_->Update(rec).ok());
  auto p = Processor("w2", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed);
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_NE(rec.last_error.find("interrupted 4 times"), std::string::npos) << rec.last_error;
  EXPECT_TRUE(store_->Head("errors/" + reg.document_id + ".json").ok());
  EXPECT_EQ(a.runs, 0);
}

// The soak's doc-0776 (1,000 documents, issue 17k): three workers killed
// and one stalled past its lease, each in a later stage than the last. Not
// a poison document: the takeover must not fail it, though the takeovers
// outnumber max_retries; only the stage running when its worker was lost is
// charged.
TEST_F(DocumentProcessorTest, InterruptionsInDifferentStagesDoNotFailAVersion) {
  ScriptedStage a("extract"), b("chunk"), c("enrich");
  Registration reg = Register("kills.md", "# Kills\n\ntext\n");
  ControlRecord rec = OutOfRetries(*control_, reg, "enrich", clock_.NowMs());
  for (const char* stage : {"extract", "chunk"}) {
    rec.stage_status[stage].status = StageState::kCompleted;
    rec.stage_status[stage].attempts = 2;
    rec.stage_status[stage].interruptions = 1;
    rec.stage_status[stage].started_at = clock_.NowMs() - 2'000;
    rec.stage_status[stage].completed_at = clock_.NowMs() - 1'000;
  }
  rec.stage_status["enrich"].attempts = 2;
  rec.stage_status["enrich"].interruptions = 1;  // 3 takeovers so far, one per stage
  ASSERT_TRUE(control_->Update(rec).ok());
  auto p = Processor("w2", {&a, &b, &c});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted) << rec.last_error;
  EXPECT_EQ(rec.retry_count, 4);
  EXPECT_EQ(rec.stage_status["enrich"].interruptions, 2);
  EXPECT_EQ(rec.stage_status["chunk"].interruptions, 1);
  EXPECT_EQ(a.runs + b.runs, 0);
  EXPECT_EQ(c.runs, 1);
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_FAILED"), 0);
}

// Interruptions spread over stages still end: past the cap on all takeovers
// ((max_retries + 1) per stage and one round more) the version is FAILED.
TEST_F(DocumentProcessorTest, TakeoversAreCappedInAllWhateverTheStage) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("many.md", "# Many\n\ntext\n");
  ControlRecord rec = OutOfRetries(*control_, reg, "chunk", clock_.NowMs());
  rec.retry_count = 12;
  rec.takeovers = 12;  // (3 + 1) * (2 + 1): the next takeover is one too many
  rec.stage_status["chunk"].interruptions = 1;
  ASSERT_TRUE(control_->Update(rec).ok());
  auto p = Processor("w2", {&a, &b});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed);
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_NE(rec.last_error.find("interrupted 13 times in all"), std::string::npos) << rec.last_error;
  EXPECT_EQ(a.runs + b.runs, 0);
}

// Lost workers have a budget of their own (the per-stage interruptions and
// the cap above). A version taken over max_retries times whose stage then
// fails with a retryable error still gets its max_retries retries: before,
// the takeovers had used up retry_count and the first such failure was final.
TEST_F(DocumentProcessorTest, TakeoversDoNotUseUpTheRetriesOfAFailure) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("lost.md", "# Lost\n\ntext\n");
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  rec.retry_count = 3;  // == max_retries, every one a takeover in extract
  rec.takeovers = 3;
  rec.stage_status["extract"].interruptions = 3;
  ASSERT_TRUE(control_->Update(rec).ok());
  b.result = Status::Unavailable("enricher busy");
  auto p = Processor("w1", {&a, &b});
  for (int retry = 1; retry <= 3; ++retry) {
    EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled) << "retry " << retry;
    rec = *control_->Get(reg.document_id, reg.processing_version);
    EXPECT_EQ(rec.status, DocStatus::kPending);
    EXPECT_EQ(rec.retry_count, 3 + retry);
    EXPECT_EQ(rec.takeovers, 3);
    clock_.Advance(60'000);
  }
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed) << "the fourth failure is final";
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.error_stage, "chunk");
  EXPECT_EQ(CountAudit(reg.document_id, "RETRY_SCHEDULED"), 3);
}

// The soak's doc-0002 (12 documents, a kill every 3-8 s): its fourth
// interruption came after load had completed, before the completion write;
// the takeover failed a finished document for being interrupted 4 times.
TEST_F(DocumentProcessorTest, ATakeoverPastTheRetryBudgetFinishesAVersionWithNoStageLeft) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("done.md", "# Done\n\ntext\n");
  ControlRecord rec = OutOfRetries(*control_, reg, "chunk", clock_.NowMs());
  for (const char* stage : {"extract", "chunk"}) {
    rec.stage_status[stage].status = StageState::kCompleted;
    rec.stage_status[stage].attempts = 1;
    rec.stage_status[stage].started_at = clock_.NowMs() - 2'000;
    rec.stage_status[stage].completed_at = clock_.NowMs() - 1'000;
  }
  ASSERT_TRUE(control_->Update(rec).ok());
  auto p = Processor("w2", {&a, &b});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted) << rec.last_error;
  EXPECT_EQ(a.runs + b.runs, 0) << "no stage runs again";
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_COMPLETED"), 1);
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_FAILED"), 0);
}

// A worker killed after it recorded a stage as done in the control table but
// before the audit event (issue 17's soak): the worker that takes over skips
// the stage, and the audit trail still gets its STAGE_COMPLETED, once.
TEST_F(DocumentProcessorTest, ATakeoverRecordsTheAuditEventADeadWorkerOwed) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("owed.md", "# Owed\n\ntext\n");
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kInProgress;
  rec.lease_owner = "dead-worker";
  rec.lease_expires_at = clock_.NowMs() - 1;
  rec.current_stage = "extract";
  StageStatus& done = rec.stage_status["extract"];
  done.status = StageState::kCompleted;
  done.attempts = 1;
  done.started_at = clock_.NowMs() - 900;
  done.completed_at = clock_.NowMs() - 500;
  done.duration_ms = 400;
  ASSERT_TRUE(control_->Update(rec).ok());
  events_.Audit(rec, "STAGE_STARTED", "extract");  // what the dead worker did record

  auto p = Processor("w2", {&a, &b});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(a.runs, 0);  // resumed, not redone
  EXPECT_EQ(b.runs, 1);
  Result<std::vector<AuditEvent>> trail = services_->audit.List(reg.document_id);
  ASSERT_TRUE(trail.ok());
  int extract_completed = 0;
  for (const AuditEvent& e : *trail) {
    if (e.event_type == "STAGE_COMPLETED" && e.stage == "extract") {
      ++extract_completed;
      EXPECT_EQ(e.time, done.completed_at);  // when it happened, not when it was noticed
      EXPECT_EQ(e.duration_ms, 400);
    }
  }
  EXPECT_EQ(extract_completed, 1);
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_COMPLETED"), 1);
}

// The same when the dead worker did write its audit event: a takeover must
// not record the stage's completion a second time.
TEST_F(DocumentProcessorTest, ATakeoverDoesNotRecordACompletedStageTwice) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("twice.md", "# Twice\n\ntext\n");
  // Worker 1 completes extract, then loses the document during chunk (as a
  // killed worker does: its lease runs out and another takes over).
  b.during = [&](const StageContext& ctx) {
    ControlRecord stolen = *control_->Get(ctx.record.document_id, ctx.record.processing_version);
    stolen.lease_owner = "gone";
    stolen.lease_expires_at = clock_.NowMs() - 1;
    ASSERT_TRUE(control_->Update(stolen).ok());
  };
  auto p1 = Processor("w1", {&a, &b});
  QueueMessage first = ReceiveOne();
  EXPECT_EQ(p1->Process(first, no_cancel_), ProcessOutcome::kLostClaim);
  EXPECT_EQ(CountAudit(reg.document_id, "STAGE_COMPLETED"), 1);
  b.during = nullptr;
  ASSERT_TRUE(queue_->ChangeVisibility(first.receipt_handle, 0).ok());
  auto p2 = Processor("w2", {&a, &b});
  EXPECT_EQ(p2->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(a.runs, 1);
  EXPECT_EQ(b.runs, 2);
  EXPECT_EQ(CountAudit(reg.document_id, "STAGE_COMPLETED"), 2);  // extract once, chunk once
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_COMPLETED"), 1);
}

// A worker killed after it recorded the document COMPLETED but before the
// audit event and the message's deletion: the redelivered message finds the
// document done and records the DOCUMENT_COMPLETED owed, once however often
// it comes back.
TEST_F(DocumentProcessorTest, ARedeliveredFinishedDocumentRecordsTheCompletionOwed) {
  ScriptedStage a("extract");
  Registration reg = Register("done.md", "# Done\n\ntext\n");
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kCompleted;
  rec.stage_status["extract"].status = StageState::kCompleted;
  rec.stage_status["extract"].completed_at = clock_.NowMs() - 10;
  ASSERT_TRUE(control_->Update(rec).ok());

  auto p = Processor("w2", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kSkipped);
  EXPECT_EQ(a.runs, 0);
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_COMPLETED"), 1);
  EXPECT_EQ(CountAudit(reg.document_id, "STAGE_COMPLETED"), 1);  // extract's, owed too
  ASSERT_TRUE(queue_->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());
  clock_.Advance(1000);
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kSkipped);
  EXPECT_EQ(CountAudit(reg.document_id, "DOCUMENT_COMPLETED"), 1);
  EXPECT_EQ(CountAudit(reg.document_id, "STAGE_COMPLETED"), 1);
}

// The daily documents_completed (and pages, chunks) counts each version once
// (issue 17's soak). Every metrics write here lands but its answer is lost,
// as behind the fault proxy's reset-after: the retries must not add again.
TEST_F(DocumentProcessorTest, ACompletionIsCountedOnceWhenTheCountsAnswersAreLost) {
  ScriptedStage a("extract");
  Registration reg = Register("counted.md", "# Counted\n\ntext\n");
  ws_.faults().Fail("metrics.Add.after", Status::Unavailable("connection reset after the write"));
  ws_.faults().Fail("metrics.AddOnce.after", Status::Unavailable("connection reset after the write"));
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  ws_.faults().Clear();
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsCompleted), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricPages), 3);
  // A duplicate delivery of the finished version counts nothing more.
  ASSERT_TRUE(queue_->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kSkipped);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsCompleted), 1);
  EXPECT_DOUBLE_EQ(ws_.Metric(kMetricPages), 3);
}

// A worker killed between the completion write and its count: the message
// comes back, and the worker that finds the version COMPLETED counts it, once.
TEST_F(DocumentProcessorTest, ARedeliveredFinishedDocumentIsCountedOnce) {
  ScriptedStage a("extract");
  Registration reg = Register("owed.md", "# Owed\n\ntext\n");
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kCompleted;
  rec.page_count = 4;
  rec.stage_status["extract"].status = StageState::kCompleted;
  rec.stage_status["extract"].completed_at = clock_.NowMs() - 10;
  ASSERT_TRUE(control_->Update(rec).ok());

  auto p = Processor("w2", {&a});
  for (int delivery = 0; delivery < 2; ++delivery) {
    if (delivery > 0) {
      ASSERT_TRUE(queue_->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());
    }
    EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kSkipped);
    EXPECT_DOUBLE_EQ(ws_.Metric(kMetricDocumentsCompleted), 1) << "delivery " << delivery;
    EXPECT_DOUBLE_EQ(ws_.Metric(kMetricPages), 4) << "delivery " << delivery;
  }
  EXPECT_EQ(a.runs, 0);
}

// The message stays hidden as long as the lease it guards, even before the
// first heartbeat: otherwise a worker killed then costs the document a second
// delivery (which finds the lease live), and the dead-letter queue takes it
// after about three kills instead of five (issue 17's soak).
TEST_F(DocumentProcessorTest, TheMessageStaysHiddenAsLongAsTheLeaseItGuards) {
  options_.heartbeat_ms = 60'000;  // no heartbeat during the test
  ScriptedStage a("extract");
  Register("hidden.md", "# Hidden\n\ntext\n");
  QueueMessage m = ReceiveOne();  // hidden for the lease (10 s) from now
  clock_.Advance(3'000);          // a slow claim: the lease runs from here
  bool visible_while_leased = true;
  a.during = [&](const StageContext&) {
    clock_.Advance(8'000);  // 11 s after the receive, 8 s into the lease
    Result<std::vector<QueueMessage>> again = queue_->Receive(1, options_.lease_ms, 0);
    visible_while_leased = !again.ok() || !again->empty();
  };
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(m, no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_FALSE(visible_while_leased);
}

// The dead-letter sweep weighs a dead letter by the claims its deliveries
// made (pipeline/dead_letter_sweeper.h): a claim counts per message.
TEST_F(DocumentProcessorTest, ClaimsAreCountedPerMessage) {
  ScriptedStage a("extract");
  int claims_seen = 0;
  std::string message_seen;
  a.during = [&](const StageContext& ctx) {
    claims_seen = ctx.record.message_claims;
    message_seen = ctx.record.claim_message_id;
  };
  auto p = Processor("w1", {&a});
  // Left by a worker that died after claiming from this very message.
  Registration reg = Register("c.md", "# C\n\ntext\n");
  QueueMessage m = ReceiveOne();
  ASSERT_FALSE(m.message_id.empty());
  ControlRecord dead = *control_->Get(reg.document_id, reg.processing_version);
  dead.status = DocStatus::kInProgress;
  dead.lease_owner = "dead-worker";
  dead.lease_expires_at = clock_.NowMs() - 1;
  dead.claim_message_id = m.message_id;
  dead.message_claims = 1;
  ASSERT_TRUE(control_->Update(dead).ok());
  EXPECT_EQ(p->Process(m, no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(claims_seen, 2);
  EXPECT_EQ(message_seen, m.message_id);

  // Claims from another message (before a retry or a requeue) start over.
  Registration other = Register("d.md", "# D\n\ntext\n");
  ControlRecord earlier = *control_->Get(other.document_id, other.processing_version);
  earlier.claim_message_id = "an-earlier-message";
  earlier.message_claims = 4;
  ASSERT_TRUE(control_->Update(earlier).ok());
  QueueMessage n = ReceiveOne();
  EXPECT_EQ(p->Process(n, no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(claims_seen, 1);
  EXPECT_EQ(message_seen, n.message_id);
}

TEST_F(DocumentProcessorTest, ATakeoverDuringAStageIsDetectedAndNotOverwritten) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("d.md", "# D\n\ntext\n");
  // While stage a runs, another worker takes the record over.
  a.during = [&](const StageContext& ctx) {
    ControlRecord stolen = *control_->Get(ctx.record.document_id, ctx.record.processing_version);
    stolen.lease_owner = "thief";
    ASSERT_TRUE(control_->Update(stolen).ok());
  };
  auto p = Processor("w1", {&a, &b});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kLostClaim);
  EXPECT_EQ(b.runs, 0);
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.lease_owner, "thief");
  EXPECT_NE(rec.stage_status["extract"].status, StageState::kCompleted);
}

TEST_F(DocumentProcessorTest, InvalidInputFailsAtOnceTransientErrorsRetryWithBackoff) {
  ScriptedStage a("extract");
  Registration bad = Register("bad.md", "x");
  a.result = Status::InvalidInput("input/bad.md: not a PDF");
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed);
  ControlRecord rec = *control_->Get(bad.document_id, bad.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.retry_count, 0);
  EXPECT_EQ(rec.error_stage, "extract");

  Registration flaky = Register("flaky.md", "y");
  a.result = Status::Unavailable("disk busy");
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled);
  rec = *control_->Get(flaky.document_id, flaky.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kPending);
  EXPECT_EQ(rec.retry_count, 1);
  const int64_t delay = rec.next_attempt_at - clock_.NowMs();
  EXPECT_GE(delay, 50);  // jittered: half to all of retry_base_ms
  EXPECT_LE(delay, 100);
  // Not visible before the backoff ends.
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  clock_.Advance(delay + 1);
  a.result = Status::Ok();
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(CountAudit(flaky.document_id, "RETRY_SCHEDULED"), 1);
}

TEST_F(DocumentProcessorTest, OlderVersionIsSupersededNotProcessed) {
  ScriptedStage a("extract");
  Registration v1 = Register("e.md", "first");
  QueueMessage m1 = ReceiveOne();
  Registration v2 = Register("e.md", "second");
  ASSERT_EQ(v2.processing_version, "000002");
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(m1, no_cancel_), ProcessOutcome::kSkipped);
  EXPECT_EQ(control_->Get(v1.document_id, v1.processing_version)->status, DocStatus::kSuperseded);
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);
  EXPECT_EQ(a.runs, 1);
}

TEST_F(DocumentProcessorTest, CancelReleasesTheDocumentForAnotherWorker) {
  ScriptedStage a("extract");
  std::atomic<bool> cancel{true};
  a.result = Status::Cancelled("shutdown");
  Registration reg = Register("f.md", "text");
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), cancel), ProcessOutcome::kReleased);
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kPending);
  EXPECT_EQ(rec.lease_owner, "");
  EXPECT_EQ(rec.retry_count, 0);
  EXPECT_EQ(rec.stage_status["extract"].attempts, 0);
  a.result = Status::Ok();
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kCompleted);  // visible again at once
}

// Issue 17: a passed deadline was only noticed by stages that looked at the
// clock themselves (a load ran 25 minutes past its 10-minute limit). The
// processor's watch now cancels a stage at its deadline, and the error says so.
TEST_F(DocumentProcessorTest, DeadlineCancelsAStageThatWatchesOnlyItsCancelFlag) {
  ScriptedStage a("extract");
  options_.stage_timeout_ms = 1'000;
  int64_t cancelled_after_ms = -1;
  a.during = [&](const StageContext& ctx) {
    const int64_t start = clock_.NowMs();
    for (int i = 0; i < 100 && !ctx.cancel->load(); ++i) ASSERT_TRUE(clock_.AdvanceAndSettle(100));
    if (ctx.cancel->load()) cancelled_after_ms = clock_.NowMs() - start;
    a.result = ctx.cancel->load() ? Status::Cancelled("stopped") : Status::Ok();
  };
  Registration reg = Register("slow.md", "text");
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled);
  EXPECT_GE(cancelled_after_ms, 1'000);
  EXPECT_LE(cancelled_after_ms, 1'200);  // within a poll or two of the deadline, not at the stage's leisure
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_NE(rec.last_error.find("input/slow.md: extract passed its deadline"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("pipeline.stage_timeout_seconds"), std::string::npos) << rec.last_error;
}

// A stage that watches the clock itself (the PDF reader) may see its
// deadline pass before the processor's watch does; its Timeout still names
// the limit, as the watch's does (the hostile-PDF deadline test saw the bare
// "stopped after 0 of 150 pages (deadline passed)" once).
TEST_F(DocumentProcessorTest, AStageThatSeesItsDeadlineFirstGetsTheSameError) {
  ScriptedStage a("extract");
  options_.stage_timeout_ms = 1'000;
  a.during = [&](const StageContext& ctx) {
    clock_.Advance(ctx.deadline_ms - clock_.NowMs());  // the watch has not run yet
    a.result = Status::Timeout("input/own.md: stopped after 0 of 150 pages (deadline passed)");
  };
  Registration reg = Register("own.md", "text");
  auto p = Processor("w1", {&a});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled);
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_NE(rec.last_error.find("input/own.md: extract passed its deadline (the stage limit of 1 s, set by "
                                "pipeline.stage_timeout_seconds): input/own.md: stopped after 0 of 150 pages"),
            std::string::npos)
      << rec.last_error;
}

// Issue 17: a timed-out document was retried as transient up to max_retries,
// so a hostile file ran four times. A deadline gets one retry, no more.
TEST_F(DocumentProcessorTest, ATimedOutDocumentIsRetriedOnceWhateverMaxRetries) {
  ScriptedStage a("extract"), b("chunk");
  Registration reg = Register("hostile.md", "text");  // max_retries 3
  a.result = Status::Timeout("input/hostile.md: extract passed its deadline");
  auto p = Processor("w1", {&a, &b});
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled);
  clock_.Advance(1'000);
  // The retry gets past extract but times out in the next stage: still the
  // document's second deadline, so it fails.
  a.result = Status::Ok();
  b.result = Status::Timeout("input/hostile.md: chunk passed its deadline");
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed);
  ControlRecord rec = *control_->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.retry_count, 1);
  EXPECT_EQ(a.runs, 2);
  EXPECT_EQ(b.runs, 1);
  EXPECT_EQ(CountAudit(reg.document_id, "RETRY_SCHEDULED"), 1);

  // Other transient errors still get every retry.
  Registration flaky = Register("flaky.md", "y");
  b.result = Status::Unavailable("disk busy");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kRetryScheduled);
    clock_.Advance(60'000);
  }
  EXPECT_EQ(p->Process(ReceiveOne(), no_cancel_), ProcessOutcome::kFailed);
  EXPECT_EQ(control_->Get(flaky.document_id, flaky.processing_version)->retry_count, 3);
}

// A worker and a rival on one workspace, on a fake clock: a 1 s lease, a
// heartbeat every 200 ms.
class DocumentProcessorHeartbeatTest : public ::testing::Test {
 protected:
  DocumentProcessorHeartbeatTest() {
    options.lease_ms = 1'000;
    options.heartbeat_ms = 200;
  }

  testing::FakeClock fake;
  testing::PipelineWorkspace ws{fake};
  Services& services = ws.services();
  ControlTable* control = &ws.real_control();
  WorkQueue* queue = &ws.real_queue();
  EventRecorder events{services, "w1", 0};
  EventRecorder rival_events{services, "w2", 0};
  ProcessorOptions options;
};

// The heartbeat must keep a long stage's claim alive past the lease. The fake
// clock drives it: the stage's 2.6 s of work take no real time.
TEST_F(DocumentProcessorHeartbeatTest, HeartbeatKeepsTheClaimAlivePastTheLease) {
  const testing::TempDir& dir = ws.dir();

  testing::WriteFile(dir.Join("g.md"), "text");
  Registrar registrar(services, events, 3);
  Registration reg = *registrar.RegisterLocalFile(dir.Join("g.md"), "input/g.md");
  ASSERT_TRUE(queue->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());  // a duplicate

  ScriptedStage slow("extract");
  std::promise<void> past_lease, rival_done;
  slow.during = [&](const StageContext&) {
    // 1.6 s of work, past the 1 s lease, the heartbeat beating every 200 ms...
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(fake.AdvanceAndSettle(200));
    past_lease.set_value();
    rival_done.get_future().wait();
    // ...and 1 s more after the rival tried.
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(fake.AdvanceAndSettle(200));
  };
  DocumentProcessor worker(services, events, {&slow}, options);
  DocumentProcessor rival(services, rival_events, {&slow}, options);
  std::atomic<bool> cancel{false};
  std::vector<QueueMessage> msgs = *queue->Receive(2, options.lease_ms, 0);
  ASSERT_EQ(msgs.size(), 2u);
  std::thread t([&] { EXPECT_EQ(worker.Process(msgs[0], cancel), ProcessOutcome::kCompleted); });
  past_lease.get_future().wait();  // the original lease has run out by now
  EXPECT_EQ(rival.Process(msgs[1], cancel), ProcessOutcome::kBusy);
  rival_done.set_value();
  t.join();
  EXPECT_EQ(slow.runs, 1);
  ControlRecord rec = *control->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted);
  EXPECT_EQ(rec.retry_count, 0);
}


// The soak's doc-0776, third claim: the writes a takeover owes before its
// first stage (LEASE_EXPIRED, owed STAGE_COMPLETED events) took 11 s through
// the faulty proxy, longer than the 8 s lease, and a fifth worker took over
// a live document. The heartbeat must extend the lease from the claim on.
TEST_F(DocumentProcessorHeartbeatTest, TheLeaseIsExtendedFromTheClaimOn) {

  testing::WriteFile(ws.dir().Join("h.md"), "text");
  Registrar registrar(services, events, 3);
  Registration reg = *registrar.RegisterLocalFile(ws.dir().Join("h.md"), "input/h.md");
  ASSERT_TRUE(queue->Send(WorkMessageBody(reg.document_id, reg.processing_version), 0).ok());  // a duplicate
  // A worker claimed it and died: the next claim is a takeover, which owes
  // a LEASE_EXPIRED event before its first stage.
  ControlRecord rec = *control->Get(reg.document_id, reg.processing_version);
  rec.status = DocStatus::kInProgress;
  rec.lease_owner = "dead-worker";
  rec.lease_expires_at = fake.NowMs() - 1;
  ASSERT_TRUE(control->Update(rec).ok());

  ScriptedStage stage("extract");
  DocumentProcessor worker(services, events, {&stage}, options);
  DocumentProcessor rival(services, rival_events, {&stage}, options);
  std::atomic<bool> cancel{false};
  std::vector<QueueMessage> msgs = *queue->Receive(2, options.lease_ms, 0);
  ASSERT_EQ(msgs.size(), 2u);
  bool slow_write_done = false;
  ProcessOutcome rival_outcome = ProcessOutcome::kError;
  ws.faults().OnCall("audit.Append", [&] {
    if (slow_write_done) return;
    slow_write_done = true;
    // The first audit write after the claim takes 1.6 s, past the 1 s lease;
    // each step waits (in real time, at most 2 s) for the heartbeat to beat.
    for (int i = 0; i < 8; ++i) {
      const int64_t before = fake.waits();
      fake.Advance(200);
      EXPECT_TRUE(fake.AwaitWaits(before + 1, 2'000)) << "no heartbeat during the claim's writes";
    }
    rival_outcome = rival.Process(msgs[1], cancel);
  });
  EXPECT_EQ(worker.Process(msgs[0], cancel), ProcessOutcome::kCompleted);
  EXPECT_TRUE(slow_write_done);
  EXPECT_EQ(rival_outcome, ProcessOutcome::kBusy) << "the rival took over a live document";
  EXPECT_EQ(stage.runs, 1);
  rec = *control->Get(reg.document_id, reg.processing_version);
  EXPECT_EQ(rec.status, DocStatus::kCompleted);
  EXPECT_EQ(rec.retry_count, 1);  // the one takeover, not the rival's
}

}  // namespace
}  // namespace docpipe
