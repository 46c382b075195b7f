// The WorkQueue port's contract (queue/work_queue.h), run against every
// adapter: the SQLite queue on a fake clock and SQS on a real moto_server
// (which keeps real time, in whole seconds: its adapter lets real time pass
// where the SQLite one advances its clock). What only one adapter does stays
// in its own file: SQLite's FIFO order, millisecond precision, body lookup,
// shared databases and processes; SQS's request shapes, rounding, boto3
// interoperation, provisioning and long polls on the server.
#include "queue/work_queue.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "queue/sqlite_work_queue.h"
#include "queue/sqs_work_queue.h"
#include "support/conformance.h"
#include "support/fake_clock.h"
#include "support/moto_fixture.h"
#include "support/test_util.h"
#include "unit/queue/queue_helpers.h"

namespace docpipe {
namespace {

struct QueueUnderTest {
  virtual ~QueueUnderTest() = default;
  //! A queue (and its dead letters) of its own, redriving after `max_receive_count` deliveries.
  virtual WorkQueuePtr Open(int max_receive_count) = 0;
  //! Lets `ms` pass for the queue's visibility and delay timers (and a
  //! little more where the queue keeps real time).
  virtual void Pass(int64_t ms) = 0;
  //! The clock the queue's long polls run on.
  virtual Clock& clock() = 0;
};

struct SqliteQueueUnderTest : QueueUnderTest {
  testing::TempDir dir;
  testing::FakeClock fake;
  int opened = 0;
  WorkQueuePtr Open(int max_receive_count) override {
    SqliteWorkQueueOptions o;
    o.name = "work-" + std::to_string(opened++);  // a queue of its own in the shared database
    o.max_receive_count = max_receive_count;
    Result<WorkQueuePtr> q = NewSqliteWorkQueue(dir.Join("docpipe.db"), fake, o);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }
  void Pass(int64_t ms) override { fake.Advance(ms); }
  Clock& clock() override { return fake; }
};

// A queue pair of its own per test on the process's moto_server.
struct SqsQueueUnderTest : QueueUnderTest {
  std::unique_ptr<Clock> system = NewSystemClock();
  std::unique_ptr<testing::MotoAwsClient> aws;
  SqsQueueUnderTest() {
    std::string error;
    testing::MotoServer* moto = testing::SharedMotoServer(&error);
    if (moto == nullptr) {
      ADD_FAILURE() << testing::MotoStartFailure(error);
      return;
    }
    aws = std::make_unique<testing::MotoAwsClient>(*moto, "sqs");
  }
  WorkQueuePtr Open(int max_receive_count) override {
    if (!aws) return nullptr;
    static std::atomic<int> queues{0};
    const std::string name = fmt::format("conformance-{}", queues++);
    Status st = ProvisionSqsQueues(aws->client(), name, name + "-dlq", max_receive_count, /*visibility_timeout_s=*/1);
    EXPECT_TRUE(st.ok()) << st.ToString();
    Result<std::string> url = GetSqsQueueUrl(aws->client(), name);
    Result<std::string> dlq = GetSqsQueueUrl(aws->client(), name + "-dlq");
    EXPECT_TRUE(url.ok() && dlq.ok()) << url.status().ToString() << " " << dlq.status().ToString();
    if (!url.ok() || !dlq.ok()) return nullptr;
    Result<WorkQueuePtr> q = NewSqsWorkQueue(aws->client(), SqsQueueOptions{*url, *dlq});
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }
  // moto times visibility and delays in real time, and compares in whole
  // milliseconds: a margin past every timer.
  void Pass(int64_t ms) override { system->SleepMs(ms > 0 ? ms + 300 : 5); }
  Clock& clock() override { return *system; }
};

using QueueAdapter = testing::ConformanceAdapter<QueueUnderTest>;

class WorkQueueConformanceTest : public ::testing::TestWithParam<QueueAdapter> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_FALSE(HasFailure()) << "the " << GetParam().name << " queue did not open";
    queue_ = Open(5);
    ASSERT_NE(queue_, nullptr);
  }
  WorkQueuePtr Open(int max_receive_count) { return under_test_->Open(max_receive_count); }
  void Pass(int64_t ms) { under_test_->Pass(ms); }
  Clock& clock() { return under_test_->clock(); }

  WorkQueuePtr queue_;

 private:
  std::unique_ptr<QueueUnderTest> under_test_;
};

TEST_P(WorkQueueConformanceTest, SendReceiveDelete) {
  const std::string body = R"({"document_id":"a","processing_version":"000001"})";
  ASSERT_TRUE(queue_->Send(body, 0).ok());
  QueueMessage m = ReceiveOne(*queue_, 30'000);
  EXPECT_EQ(m.body, body);
  EXPECT_EQ(m.receive_count, 1);
  EXPECT_FALSE(m.message_id.empty());
  EXPECT_FALSE(m.receipt_handle.empty());
  EXPECT_EQ(ReceiveCount(*queue_, 30'000), 0u) << "hidden while in flight";
  ASSERT_TRUE(queue_->Delete(m.receipt_handle).ok());
  EXPECT_TRUE(queue_->Delete(m.receipt_handle).ok()) << "already gone is OK";
  Pass(1000);
  EXPECT_EQ(ReceiveCount(*queue_, 1000), 0u) << "deleted for good";
  QueueStats s = StatsOf(*queue_);
  EXPECT_EQ(s.visible, 0);
  EXPECT_EQ(s.in_flight, 0);
  EXPECT_EQ(s.delayed, 0);
  EXPECT_EQ(s.dead, 0);
}

TEST_P(WorkQueueConformanceTest, ReceiveCountIncrementsOnRedelivery) {
  ASSERT_TRUE(queue_->Send("m", 0).ok());
  // Visibility 0: the message is visible again at once.
  QueueMessage first = ReceiveOne(*queue_, 0);
  Pass(0);
  QueueMessage second = ReceiveOne(*queue_, 0);
  Pass(0);
  QueueMessage third = ReceiveOne(*queue_, 30'000);
  EXPECT_EQ(first.receive_count, 1);
  EXPECT_EQ(second.receive_count, 2);
  EXPECT_EQ(third.receive_count, 3);
  EXPECT_EQ(first.message_id, third.message_id);
  EXPECT_NE(first.receipt_handle, second.receipt_handle) << "each delivery has its own receipt handle";
}

TEST_P(WorkQueueConformanceTest, VisibilityTimeoutHidesThenReshows) {
  ASSERT_TRUE(queue_->Send("m", 0).ok());
  QueueMessage first = ReceiveOne(*queue_, 1000);
  EXPECT_EQ(ReceiveCount(*queue_, 1000), 0u);
  QueueStats s = StatsOf(*queue_);
  EXPECT_EQ(s.visible, 0);
  EXPECT_EQ(s.in_flight, 1);
  Pass(1000);
  EXPECT_EQ(StatsOf(*queue_).visible, 1);
  QueueMessage again = ReceiveOne(*queue_, 30'000);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(again.receive_count, 2);
  EXPECT_NE(again.receipt_handle, first.receipt_handle);
}

TEST_P(WorkQueueConformanceTest, ChangeVisibilityExtendsAndZeroReleases) {
  ASSERT_TRUE(queue_->Send("m", 0).ok());
  QueueMessage m = ReceiveOne(*queue_, 1000);
  // A heartbeat: hidden for 2.5 s from now, past the original 1 s.
  ASSERT_TRUE(queue_->ChangeVisibility(m.receipt_handle, 2500).ok());
  Pass(1000);
  EXPECT_EQ(ReceiveCount(*queue_, 1000), 0u) << "the heartbeat extended the visibility timeout";
  ASSERT_TRUE(queue_->ChangeVisibility(m.receipt_handle, 0).ok());
  Pass(0);
  QueueMessage again = ReceiveOne(*queue_, 30'000);
  EXPECT_EQ(again.message_id, m.message_id);
  EXPECT_EQ(again.receive_count, 2);
}

// (moto accepts the first handle while `second` is in flight, as it
// remembers every handle a message had; real SQS refuses it, which
// sqs_work_queue_test.cpp maps to NotFound on scripted answers. Once the new
// holder has deleted the message, every adapter refuses both.)
TEST_P(WorkQueueConformanceTest, HandlesOfADeletedOrRedeliveredMessageAreStale) {
  ASSERT_TRUE(queue_->Send("m", 0).ok());
  QueueMessage first = ReceiveOne(*queue_, 1000);
  Pass(1000);
  QueueMessage second = ReceiveOne(*queue_, 30'000);  // redelivered to "another worker"
  ASSERT_EQ(second.message_id, first.message_id);
  ASSERT_TRUE(queue_->Delete(second.receipt_handle).ok());
  Status st = queue_->ChangeVisibility(first.receipt_handle, 1000);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  st = queue_->ChangeVisibility(second.receipt_handle, 1000);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_TRUE(queue_->Delete(first.receipt_handle).ok()) << "a stale delete is OK";
  st = queue_->ChangeVisibility("not-a-receipt-handle", 1000);
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
}

TEST_P(WorkQueueConformanceTest, DelayedMessageAppearsWhenDue) {
  ASSERT_TRUE(queue_->Send("later", 1000).ok());
  QueueStats s = StatsOf(*queue_);
  EXPECT_EQ(s.delayed, 1);
  EXPECT_EQ(s.visible, 0);
  EXPECT_EQ(ReceiveCount(*queue_, 1000), 0u);
  Pass(1000);
  EXPECT_EQ(StatsOf(*queue_).delayed, 0);
  EXPECT_EQ(ReceiveOne(*queue_, 30'000).body, "later");
}

TEST_P(WorkQueueConformanceTest, StatsCountEachState) {
  ASSERT_TRUE(queue_->Send("a", 0).ok());
  ASSERT_TRUE(queue_->Send("b", 0).ok());
  ASSERT_TRUE(queue_->Send("c", 0).ok());
  ASSERT_TRUE(queue_->Send("d", 60'000).ok());
  auto got = queue_->Receive(2, 30'000, 0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  std::set<std::string> handles = {(*got)[0].receipt_handle, (*got)[1].receipt_handle};
  EXPECT_EQ(handles.size(), 2u);
  QueueStats s = StatsOf(*queue_);
  EXPECT_EQ(s.visible, 1);
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(s.delayed, 1);
  EXPECT_EQ(s.dead, 0);
}

TEST_P(WorkQueueConformanceTest, DeadLettersAfterMaxReceiveCountAndPeekingLeavesThem) {
  WorkQueuePtr q = Open(/*max_receive_count=*/2);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->Send("poison", 0).ok());
  const QueueMessage first = ReceiveOne(*q, 0);
  EXPECT_EQ(first.receive_count, 1);
  Pass(0);
  EXPECT_EQ(ReceiveOne(*q, 0).receive_count, 2);
  Pass(0);
  // A third delivery would exceed max_receive_count: the message moves instead.
  EXPECT_EQ(ReceiveCount(*q, 0), 0u);
  QueueStats s = StatsOf(*q);
  EXPECT_EQ(s.dead, 1);
  EXPECT_EQ(s.visible, 0);
  EXPECT_EQ(s.in_flight, 0);
  for (int look = 0; look < 2; ++look) {
    Pass(0);
    auto dead = q->PeekDeadLetters(10);
    ASSERT_TRUE(dead.ok()) << dead.status().ToString();
    ASSERT_EQ(dead->size(), 1u);
    EXPECT_EQ(dead->front().body, "poison");
    EXPECT_EQ(dead->front().message_id, first.message_id) << "the sweep matches claims to it";
    EXPECT_GE(dead->front().receive_count, 2);
  }
  EXPECT_EQ(StatsOf(*q).dead, 1);
  EXPECT_EQ(StatsOf(*queue_).dead, 0) << "other queues have their own dead letters";
}

TEST_P(WorkQueueConformanceTest, DeleteDeadLetterRemovesWhatAPeekReturned) {
  WorkQueuePtr q = Open(/*max_receive_count=*/1);
  ASSERT_NE(q, nullptr);
  for (const char* body : {"one", "two"}) {
    ASSERT_TRUE(q->Send(body, 0).ok());
    EXPECT_EQ(ReceiveOne(*q, 0).body, body);
    Pass(0);
    EXPECT_EQ(ReceiveCount(*q, 0), 0u) << "moved to the dead letters";
  }
  ASSERT_EQ(StatsOf(*q).dead, 2);
  auto dead = q->PeekDeadLetters(10);
  ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  // SQS samples its servers on a short poll: look again for the one missed.
  for (int look = 0; look < 10 && dead->size() < 2; ++look) {
    Pass(0);
    dead = q->PeekDeadLetters(10);
    ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  }
  ASSERT_EQ(dead->size(), 2u);
  const QueueMessage& one = dead->front().body == "one" ? dead->front() : dead->back();
  ASSERT_FALSE(one.receipt_handle.empty());
  ASSERT_TRUE(q->DeleteDeadLetter(one.receipt_handle).ok());
  EXPECT_EQ(StatsOf(*q).dead, 1);
  EXPECT_TRUE(q->DeleteDeadLetter(one.receipt_handle).ok()) << "already gone is OK";
  Pass(0);
  auto left = q->PeekDeadLetters(10);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().body, "two");
  EXPECT_EQ(StatsOf(*q).dead, 1);
}

TEST_P(WorkQueueConformanceTest, EmptyLongPollWaitsThenReturnsNothing) {
  int64_t start = clock().MonotonicMs();
  auto got = queue_->Receive(1, 1000, 1000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  EXPECT_GE(clock().MonotonicMs() - start, 900);
  // And wait 0 is a short poll (whatever the queue's own default wait).
  start = clock().MonotonicMs();
  EXPECT_EQ(ReceiveCount(*queue_, 1000), 0u);
  EXPECT_LT(clock().MonotonicMs() - start, 900);
}

TEST_P(WorkQueueConformanceTest, BadArgumentsAreInvalidInput) {
  EXPECT_EQ(queue_->Send("x", -1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(queue_->Receive(0, 1000, 0).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(queue_->Receive(1, -1, 0).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(queue_->Receive(1, 1000, -1).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(queue_->ChangeVisibility("h", -1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(StatsOf(*queue_).visible, 0) << "nothing was sent";
}

INSTANTIATE_TEST_SUITE_P(Adapters, WorkQueueConformanceTest,
                         ::testing::Values(QueueAdapter{"Sqlite", [] { return std::make_unique<SqliteQueueUnderTest>(); }},
                                           QueueAdapter{"SqsMoto", [] { return std::make_unique<SqsQueueUnderTest>(); }}),
                         testing::AdapterName());

}  // namespace
}  // namespace docpipe
