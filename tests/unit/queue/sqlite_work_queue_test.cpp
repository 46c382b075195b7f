#include "queue/sqlite_work_queue.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::FakeClock;

class SqliteWorkQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { queue_ = Open(); }

  WorkQueuePtr Open(SqliteWorkQueueOptions options = {}) {
    auto q = NewSqliteWorkQueue(db_path(), clock_, options);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }
  std::string db_path() const { return dir_.Join("docpipe.db"); }

  // Receives exactly one message (asserting so) without waiting.
  QueueMessage ReceiveOne(WorkQueue& q, int64_t visibility_ms) {
    auto got = q.Receive(1, visibility_ms, 0);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok() || got->size() != 1) {
      ADD_FAILURE() << "expected one message";
      return {};
    }
    return got->front();
  }
  size_t CountVisible(WorkQueue& q) {
    auto got = q.Receive(10, 1, 0);
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->size() : 0;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  WorkQueuePtr queue_;
};

TEST_F(SqliteWorkQueueTest, VisibilityTimeoutAndRedelivery) {
  ASSERT_TRUE(queue_->Send(R"({"document_id":"a","processing_version":"000001"})", 0).ok());
  QueueMessage first = ReceiveOne(*queue_, 1000);
  EXPECT_EQ(first.body, R"({"document_id":"a","processing_version":"000001"})");
  EXPECT_EQ(first.receive_count, 1);
  EXPECT_FALSE(first.message_id.empty());
  EXPECT_FALSE(first.receipt_handle.empty());

  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty()) << "hidden while in flight";
  clock_.Advance(999);
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  clock_.Advance(1);
  QueueMessage second = ReceiveOne(*queue_, 1000);
  EXPECT_EQ(second.message_id, first.message_id);
  EXPECT_EQ(second.receive_count, 2);
  EXPECT_NE(second.receipt_handle, first.receipt_handle);

  // The first holder lost the message: its handle is stale.
  EXPECT_TRUE(queue_->ChangeVisibility(first.receipt_handle, 1000).IsNotFound());
  EXPECT_TRUE(queue_->Delete(first.receipt_handle).ok()) << "stale delete is OK";
  EXPECT_EQ(queue_->Stats()->in_flight, 1) << "...but does not remove the redelivered message";

  ASSERT_TRUE(queue_->Delete(second.receipt_handle).ok());
  clock_.Advance(10'000);
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty()) << "deleted for good";
  auto stats = queue_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->visible + stats->in_flight + stats->delayed + stats->dead, 0);
}

TEST_F(SqliteWorkQueueTest, HeartbeatKeepsMessageHidden) {
  ASSERT_TRUE(queue_->Send("job", 0).ok());
  QueueMessage m = ReceiveOne(*queue_, 1000);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(800);
    ASSERT_TRUE(queue_->ChangeVisibility(m.receipt_handle, 1000).ok()) << "heartbeat " << i;
    EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  }
  clock_.Advance(999);
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  clock_.Advance(1);
  QueueMessage again = ReceiveOne(*queue_, 1000);
  EXPECT_EQ(again.message_id, m.message_id);
  EXPECT_EQ(again.receive_count, 2);
}

TEST_F(SqliteWorkQueueTest, ChangeVisibilityZeroReleasesAtOnce) {
  ASSERT_TRUE(queue_->Send("job", 0).ok());
  QueueMessage m = ReceiveOne(*queue_, 60'000);
  ASSERT_TRUE(queue_->ChangeVisibility(m.receipt_handle, 0).ok());
  QueueMessage again = ReceiveOne(*queue_, 60'000);
  EXPECT_EQ(again.message_id, m.message_id);
  EXPECT_TRUE(queue_->ChangeVisibility("no-such-handle", 10).IsNotFound());
  EXPECT_EQ(queue_->ChangeVisibility(again.receipt_handle, -1).code(), Status::Code::kInvalidInput);
}

TEST_F(SqliteWorkQueueTest, DeadLettersAfterMaxReceiveCount) {
  SqliteWorkQueueOptions opts;
  opts.name = "dlq-test";
  opts.max_receive_count = 2;
  WorkQueuePtr q = Open(opts);
  ASSERT_TRUE(q->Send("poison", 0).ok());
  EXPECT_EQ(ReceiveOne(*q, 100).body, "poison");
  clock_.Advance(100);
  QueueMessage second = ReceiveOne(*q, 100);
  EXPECT_EQ(second.body, "poison");
  EXPECT_EQ(second.receive_count, 2);
  ASSERT_TRUE(q->Send("fine", 0).ok());
  clock_.Advance(100);
  // The third delivery would exceed the limit: it goes to the dead letters and
  // the next message is delivered in its place.
  auto got = q->Receive(5, 100, 0);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().body, "fine");
  auto stats = q->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->dead, 1);
  EXPECT_EQ(stats->visible, 0);
  EXPECT_EQ(stats->in_flight, 1);
  clock_.Advance(1000);
  ASSERT_TRUE(q->Delete(got->front().receipt_handle).ok());
  EXPECT_TRUE(q->Receive(5, 100, 0)->empty()) << "the poison message never comes back";
  EXPECT_EQ(q->Stats()->dead, 1);
  EXPECT_EQ(queue_->Stats()->dead, 0) << "other queues have their own dead letters";
}

TEST_F(SqliteWorkQueueTest, HasMessageSeesWaitingDelayedAndInFlightMessages) {
  auto has = [&](const std::string& body) {
    Result<std::optional<bool>> r = queue_->HasMessage(body);
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->value_or(false);
  };
  EXPECT_FALSE(has("a"));
  ASSERT_TRUE(queue_->Send("a", 0).ok());
  ASSERT_TRUE(queue_->Send("b", 5000).ok());
  EXPECT_TRUE(has("a"));
  EXPECT_TRUE(has("b"));  // delayed
  QueueMessage m = ReceiveOne(*queue_, 1000);
  EXPECT_EQ(m.body, "a");
  EXPECT_TRUE(has("a"));  // in flight
  ASSERT_TRUE(queue_->Delete(m.receipt_handle).ok());
  EXPECT_FALSE(has("a"));
  WorkQueuePtr other = Open({"other", 5});  // another queue in the same database
  EXPECT_FALSE(*other->HasMessage("b").value());
}

TEST_F(SqliteWorkQueueTest, DelayedSend) {
  ASSERT_TRUE(queue_->Send("later", 500).ok());
  auto stats = queue_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->delayed, 1);
  EXPECT_EQ(stats->visible, 0);
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  clock_.Advance(499);
  EXPECT_TRUE(queue_->Receive(1, 1000, 0)->empty());
  clock_.Advance(1);
  EXPECT_EQ(ReceiveOne(*queue_, 1000).body, "later");
  EXPECT_EQ(queue_->Send("x", -1).code(), Status::Code::kInvalidInput);
}

TEST_F(SqliteWorkQueueTest, ReceivesUpToMaxInSendOrder) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue_->Send(fmt::format("m{}", i), 0).ok());
  auto a = queue_->Receive(3, 1000, 0);
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0].body, "m0");
  EXPECT_EQ((*a)[1].body, "m1");
  EXPECT_EQ((*a)[2].body, "m2");
  auto b = queue_->Receive(3, 1000, 0);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].body, "m3");
  std::set<std::string> handles;
  for (const auto& m : *a) handles.insert(m.receipt_handle);
  for (const auto& m : *b) handles.insert(m.receipt_handle);
  EXPECT_EQ(handles.size(), 5u);
  EXPECT_EQ(queue_->Receive(0, 1000, 0).status().code(), Status::Code::kInvalidInput);
}

TEST_F(SqliteWorkQueueTest, ZeroVisibilityNeverRepeatsWithinABatch) {
  ASSERT_TRUE(queue_->Send("x", 0).ok());
  ASSERT_TRUE(queue_->Send("y", 0).ok());
  auto got = queue_->Receive(5, 0, 0);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].body, "x");
  EXPECT_EQ((*got)[1].body, "y");
  EXPECT_EQ((*got)[0].receive_count, 1);
  EXPECT_EQ(queue_->Stats()->visible, 2) << "visibility 0: visible again at once";
}

TEST_F(SqliteWorkQueueTest, StatsCountEachState) {
  ASSERT_TRUE(queue_->Send("v1", 0).ok());
  ASSERT_TRUE(queue_->Send("v2", 0).ok());
  ASSERT_TRUE(queue_->Send("f", 0).ok());
  ASSERT_TRUE(queue_->Send("d", 5000).ok());
  // FIFO: "v1" is taken into flight.
  EXPECT_EQ(ReceiveOne(*queue_, 1000).body, "v1");
  auto s = queue_->Stats();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->visible, 2);
  EXPECT_EQ(s->in_flight, 1);
  EXPECT_EQ(s->delayed, 1);
  EXPECT_EQ(s->dead, 0);
  clock_.Advance(1000);  // v1's visibility expires: visible again
  s = queue_->Stats();
  EXPECT_EQ(s->visible, 3);
  EXPECT_EQ(s->in_flight, 0);
  EXPECT_EQ(s->delayed, 1);
}

TEST_F(SqliteWorkQueueTest, QueuesSharingADatabaseAreSeparate) {
  SqliteWorkQueueOptions opts;
  opts.name = "other";
  WorkQueuePtr other = Open(opts);
  ASSERT_TRUE(other->Send("for-other", 0).ok());
  EXPECT_TRUE(queue_->Receive(10, 1000, 0)->empty());
  EXPECT_EQ(ReceiveOne(*other, 1000).body, "for-other");
}

TEST_F(SqliteWorkQueueTest, LongPollWaitsOutTheTimeoutWhenEmpty) {
  TimeMs start = clock_.NowMs();
  auto got = queue_->Receive(1, 1000, 1000);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(clock_.NowMs() - start, 1000) << "polled until exactly wait_ms had passed";
  EXPECT_GT(clock_.sleeps(), 1) << "in several short sleeps";
}

TEST_F(SqliteWorkQueueTest, LongPollReturnsEarlyWhenAMessageArrives) {
  WorkQueuePtr sender = Open();
  int sleeps = 0;
  clock_.OnSleep([&] {
    if (++sleeps == 3) {
      ASSERT_TRUE(sender->Send("arrived", 0).ok());
    }
  });
  TimeMs start = clock_.NowMs();
  auto got = queue_->Receive(1, 1000, 20'000);
  clock_.OnSleep(nullptr);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().body, "arrived");
  EXPECT_EQ(sleeps, 3);
  EXPECT_LT(clock_.NowMs() - start, 1000) << "did not wait out the 20 s poll";
}

TEST(SqliteWorkQueueRealClockTest, LongPollWakesForMessageFromAnotherThread) {
  testing::TempDir dir;
  auto clock = NewSystemClock();
  auto receiver = NewSqliteWorkQueue(dir.Join("q.db"), *clock, {});
  auto sender = NewSqliteWorkQueue(dir.Join("q.db"), *clock, {});
  ASSERT_TRUE(receiver.ok() && sender.ok());
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE((*sender)->Send("late", 0).ok());
  });
  auto begin = std::chrono::steady_clock::now();
  auto got = (*receiver)->Receive(1, 30'000, 10'000);
  auto waited = std::chrono::steady_clock::now() - begin;
  t.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().body, "late");
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(SqliteWorkQueueRealClockTest, ConstClockLongPollIsBounded) {
  testing::TempDir dir;
  auto owned = NewSystemClock();
  const Clock& clock = *owned;
  auto q = NewSqliteWorkQueue(dir.Join("q.db"), clock, {});
  ASSERT_TRUE(q.ok());
  auto begin = std::chrono::steady_clock::now();
  auto got = (*q)->Receive(1, 1000, 200);
  auto waited = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_GE(waited, std::chrono::milliseconds(190));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST(SqliteWorkQueueProcessTest, TwoProcessesNeverReceiveTheSameMessage) {
  testing::TempDir dir;
  const std::string db = dir.Join("q.db");
  auto clock = NewSystemClock();
  constexpr int kMessages = 60, kProcs = 2;
  {
    auto q = NewSqliteWorkQueue(db, *clock, {});
    ASSERT_TRUE(q.ok());
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE((*q)->Send("msg-" + std::to_string(i), 0).ok());
  }
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      {
        auto child_clock = NewSystemClock();
        auto q = NewSqliteWorkQueue(db, *child_clock, {});
        std::ofstream out(dir.Join("got-" + std::to_string(p)));
        if (!q.ok()) code = 2;
        // Small batches so the two processes interleave; long visibility so
        // nothing is redelivered during the test.
        while (code == 0) {
          auto got = (*q)->Receive(2, 600'000, 0);
          if (!got.ok()) {
            code = 3;
            break;
          }
          if (got->empty()) break;
          for (const auto& m : *got) out << m.body << "\n";
        }
        out.flush();
        if (!out) code = 4;
      }
      _exit(code);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  std::multiset<std::string> all;
  for (int p = 0; p < kProcs; ++p) {
    std::ifstream in(dir.Join("got-" + std::to_string(p)));
    for (std::string line; std::getline(in, line);) all.insert(line);
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kMessages)) << "each message delivered exactly once";
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(all.count("msg-" + std::to_string(i)), 1u) << i;
  auto q = NewSqliteWorkQueue(db, *clock, {});
  ASSERT_TRUE(q.ok());
  auto stats = (*q)->Stats();
  EXPECT_EQ(stats->in_flight, kMessages);
  EXPECT_EQ(stats->visible, 0);
}

}  // namespace
}  // namespace docpipe
