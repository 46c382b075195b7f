#include "serve/head_duties.h"

#include <gtest/gtest.h>

#include "pipeline/metrics.h"
#include "pipeline/stage.h"
#include "serve_fixture.h"

namespace docpipe {
namespace {

using HeadDutiesTest = ServeFixture;

TEST_F(HeadDutiesTest, StuckVersionIsRequeuedExactlyOnce) {
  Registration reg = Claimed("stuck.md", /*lose_message=*/true);
  const int sends = queue_->sends;  // the registration sent one
  ASSERT_EQ(QueuedMessages(), 0);
  clock_.Advance(kLeaseMs + kGraceMs + 1);

  Result<RequeueReport> first = head_->RequeueStuck();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->stuck, 1);
  EXPECT_EQ(first->requeued, 1);
  ControlRecord rec = Record(reg);
  EXPECT_EQ(rec.status, DocStatus::kPending);
  EXPECT_EQ(rec.retry_count, 1);  // the lost lease counts as one retry
  EXPECT_EQ(rec.takeovers, 1);    // of the takeovers' budget, not a failure's
  EXPECT_EQ(rec.stage_status["chunk"].interruptions, 1);
  EXPECT_EQ(rec.lease_owner, "");
  EXPECT_EQ(CountAudit(reg.document_id, audit_event::kRequeued), 1);
  EXPECT_EQ(QueuedMessages(), 1);
  EXPECT_EQ(queue_->sends, sends + 1);
  Result<std::optional<bool>> has = sqlite_queue_->HasMessage(WorkMessageBody(reg.document_id, reg.processing_version));
  ASSERT_TRUE(has.ok());
  EXPECT_EQ(*has, std::optional<bool>(true));

  // Later runs leave it alone: it is PENDING with its message now.
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  Result<RequeueReport> second = head_->RequeueStuck();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->stuck, 0);
  EXPECT_EQ(QueuedMessages(), 1);
  EXPECT_EQ(queue_->sends, sends + 1);
  EXPECT_EQ(CountAudit(reg.document_id, audit_event::kRequeued), 1);
  EXPECT_EQ(head_->requeued_total(), 1);
}

TEST_F(HeadDutiesTest, NotRequeuedWithinTheGrace) {
  Registration reg = Claimed("young.md", /*lose_message=*/true);
  const int sends = queue_->sends;  // the registration sent one
  clock_.Advance(kLeaseMs + kGraceMs - 1);  // lease expired, but the redelivery still has its chance
  Result<RequeueReport> r = head_->RequeueStuck();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stuck, 0);
  EXPECT_EQ(Record(reg).status, DocStatus::kInProgress);
  EXPECT_EQ(queue_->sends, sends);
  EXPECT_EQ(CountAudit(reg.document_id, audit_event::kRequeued), 0);
}

TEST_F(HeadDutiesTest, NotRequeuedWhileItsMessageIsPending) {
  Registration reg = Claimed("held.md", /*lose_message=*/false);  // the worker died holding the message
  const int sends = queue_->sends;  // the registration sent one
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  Result<RequeueReport> r = head_->RequeueStuck();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stuck, 1);
  EXPECT_EQ(r->message_pending, 1);
  EXPECT_EQ(r->requeued, 0);
  EXPECT_EQ(queue_->sends, sends);
  EXPECT_EQ(QueuedMessages(), 1);
  ControlRecord rec = Record(reg);
  EXPECT_EQ(rec.status, DocStatus::kInProgress);
  EXPECT_EQ(rec.retry_count, 0);
}

TEST_F(HeadDutiesTest, QueueThatCannotTellStillGetsOneMessage) {
  queue_->blind = true;  // as SQS
  Registration reg = Claimed("sqs.md", /*lose_message=*/true);
  const int sends = queue_->sends;  // the registration sent one
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  ASSERT_TRUE(head_->RequeueStuck().ok());
  ASSERT_TRUE(head_->RequeueStuck().ok());
  EXPECT_EQ(queue_->sends, sends + 1);
  EXPECT_EQ(Record(reg).status, DocStatus::kPending);
}

TEST_F(HeadDutiesTest, AStageInterruptedPastItsBudgetFailsInsteadOfRequeueing) {
  Registration reg = Claimed("doomed.md", /*lose_message=*/true);
  const int sends = queue_->sends;  // the registration sent one
  Change(reg, [](ControlRecord& r) {
    r.retry_count = r.takeovers = r.max_retries;
    r.stage_status["chunk"].interruptions = r.max_retries;  // chunk lost its worker every time
  });
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  Result<RequeueReport> r = head_->RequeueStuck();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ(r->requeued, 0);
  ControlRecord rec = Record(reg);
  EXPECT_EQ(rec.status, DocStatus::kFailed);
  EXPECT_EQ(rec.error_stage, "chunk");
  EXPECT_NE(rec.last_error.find("stage chunk was interrupted 4 times"), std::string::npos) << rec.last_error;
  EXPECT_NE(rec.last_error.find("giving up"), std::string::npos);
  EXPECT_EQ(CountAudit(reg.document_id, audit_event::kDocumentFailed), 1);
  EXPECT_EQ(queue_->sends, sends);
  EXPECT_TRUE(store_->Head("errors/" + reg.document_id + ".json").ok());
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  EXPECT_EQ(head_->RequeueStuck()->stuck, 0);
}

// The head counts a rescue as a worker's takeover counts it: per stage.
// Before, it failed any version whose retry_count passed max_retries, so
// kills that met a document in a different stage each time (the soak's
// doc-0776) failed it when the head, not a worker, stepped in.
TEST_F(HeadDutiesTest, KillsSpreadOverStagesAreRequeuedNotFailed) {
  Registration reg = Claimed("unlucky.md", /*lose_message=*/true);
  Change(reg, [](ControlRecord& r) {
    r.retry_count = r.takeovers = r.max_retries;
    r.stage_status["extract"].interruptions = 2;
    r.stage_status["chunk"].interruptions = 1;
  });
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  Result<RequeueReport> r = head_->RequeueStuck();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->requeued, 1);
  EXPECT_EQ(r->failed, 0);
  ControlRecord rec = Record(reg);
  EXPECT_EQ(rec.status, DocStatus::kPending) << rec.last_error;
  EXPECT_EQ(rec.takeovers, 4);
  EXPECT_EQ(rec.stage_status["chunk"].interruptions, 2);
  EXPECT_EQ(QueuedMessages(), 1);
}

// Only a stage left to run can be what kills its workers: a version whose
// stages all completed (its worker lost before the completion write) goes
// back to a worker to be finished, however often it was interrupted.
TEST_F(HeadDutiesTest, AVersionWithEveryStageCompletedIsRequeuedNotFailed) {
  Registration reg = Claimed("finished.md", /*lose_message=*/true);
  Change(reg, [](ControlRecord& r) {
    r.retry_count = r.takeovers = 40;  // past every cap
    for (const char* stage : kPipelineStages) r.stage_status[stage].status = StageState::kCompleted;
    r.current_stage = kLoadStage;
  });
  clock_.Advance(kLeaseMs + kGraceMs + 1);
  Result<RequeueReport> r = head_->RequeueStuck();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->requeued, 1);
  EXPECT_EQ(Record(reg).status, DocStatus::kPending);
  EXPECT_EQ(CountAudit(reg.document_id, audit_event::kDocumentFailed), 0);
}

TEST_F(HeadDutiesTest, ControlTableDownFailsTheRun) {
  control_->fail = true;
  EXPECT_FALSE(head_->RequeueStuck().ok());
  EXPECT_FALSE(head_->RollUp().ok());
  EXPECT_FALSE(head_->RunOnce());
  EXPECT_EQ(head_->runs_total(), 1);
}

TEST_F(HeadDutiesTest, RollupWritesTodaysFiguresIdempotently) {
  Registration done = Register("done.md");
  Registration failed = Register("failed.md");
  Register("waiting.md");
  const TimeMs created = Record(done).created_at;
  clock_.Advance(4'000);
  Change(done, [&](ControlRecord& r) {
    r.status = DocStatus::kCompleted;
    r.updated_at = clock_.NowMs();
  });
  Change(failed, [&](ControlRecord& r) { r.status = DocStatus::kFailed; });
  ASSERT_TRUE(metrics_->Add(FormatDate(clock_.NowMs()), kMetricDocumentsCompleted, 1).ok());  // a worker's count

  Result<RollupReport> first = head_->RollUp();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::string today = FormatDate(clock_.NowMs());
  EXPECT_EQ(first->date, today);
  std::map<std::string, double> row = *metrics_->GetDay(today);
  EXPECT_EQ(row["head_documents_completed"], 1);
  EXPECT_EQ(row["head_documents_failed"], 1);
  EXPECT_EQ(row["head_documents_pending"], 1);
  EXPECT_EQ(row["head_documents_in_progress"], 0);
  EXPECT_EQ(row[head_metric::kQueueVisible], 3);  // the three registration messages
  EXPECT_EQ(row[head_metric::kLatencyCount], 1);
  EXPECT_EQ(row[head_metric::kLatencyP50], static_cast<double>(clock_.NowMs() - created));
  EXPECT_EQ(row[kMetricDocumentsCompleted], 1);

  ASSERT_TRUE(head_->RollUp().ok());
  EXPECT_EQ(*metrics_->GetDay(today), row);  // the same row again
}

}  // namespace
}  // namespace docpipe
