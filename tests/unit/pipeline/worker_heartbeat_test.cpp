// WorkerHeartbeat (pipeline/worker_heartbeat.h) on the fake clock: a beat at
// start, one per interval of clock time (a PeriodicTask, no real sleep), a
// last one at stop; WorkersFromMetrics reads the latest beat of each worker.
#include "pipeline/worker_heartbeat.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/logger.h"
#include "object_store/local_object_store.h"
#include "pipeline/metrics.h"
#include "queue/sqlite_work_queue.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"

namespace docpipe {
namespace {

class WorkerHeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewLocalObjectStore(dir_.Join("store")));
    control_ = std::move(*NewSqliteControlTable(dir_.Join("db.sqlite")));
    audit_ = std::move(*NewSqliteAuditLog(dir_.Join("db.sqlite")));
    metrics_ = std::move(*NewSqliteMetricsTable(dir_.Join("db.sqlite")));
    queue_ = std::move(*NewSqliteWorkQueue(dir_.Join("db.sqlite"), clock_, SqliteWorkQueueOptions{}));
    services_ = std::make_unique<Services>(Services{clock_, *logger_, *store_, *control_, *audit_, *metrics_, *queue_});
  }

  // The one worker's latest beat as the head reads it.
  WorkerSeen Seen() {
    const std::string today = FormatDate(clock_.NowMs());
    Result<std::map<std::string, double>> row = metrics_->GetDay(today);
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    std::vector<WorkerSeen> seen = WorkersFromMetrics({row.ok() ? *row : std::map<std::string, double>{}});
    EXPECT_EQ(seen.size(), 1u);
    return seen.empty() ? WorkerSeen{} : seen[0];
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Logger> logger_ = NewNullLogger();
  ObjectStorePtr store_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
  WorkQueuePtr queue_;
  std::unique_ptr<Services> services_;
};

TEST_F(WorkerHeartbeatTest, BeatsAtStartEveryIntervalOfClockTimeAndAtStop) {
  std::atomic<int> samples{0};
  std::atomic<int> busy{2};
  const TimeMs start = clock_.NowMs();
  auto beat = std::make_unique<WorkerHeartbeat>(*services_, "host:7", 20'000, [&] {
    ++samples;
    return WorkerBeat{busy.load(), 4, samples.load()};
  });
  // The first beat is written before the constructor returns.
  EXPECT_EQ(samples.load(), 1);
  EXPECT_EQ(Seen().seen_at, start);
  EXPECT_EQ(Seen().beat.busy, 2);
  ASSERT_TRUE(clock_.AwaitWaits(1));
  // Not due before the interval: no beat within 50 ms of real time.
  clock_.Advance(19'999);
  EXPECT_FALSE(clock_.AwaitWaits(clock_.waits() + 1, 50));
  EXPECT_EQ(samples.load(), 1);
  ASSERT_TRUE(clock_.AdvanceAndSettle(1));
  EXPECT_EQ(samples.load(), 2);
  EXPECT_EQ(Seen().seen_at, start + 20'000);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(clock_.AdvanceAndSettle(20'000));
  EXPECT_EQ(samples.load(), 5);
  EXPECT_EQ(Seen().beat.processed, 5);
  EXPECT_EQ(Seen().beat.threads, 4);
  // The last word at stop: nothing busy any more.
  busy = 0;
  clock_.Advance(5'000);
  beat.reset();
  EXPECT_EQ(samples.load(), 6);
  EXPECT_EQ(Seen().seen_at, start + 85'000);
  EXPECT_EQ(Seen().beat.busy, 0);
  // No beat after it stopped.
  clock_.Advance(600'000);
  EXPECT_EQ(samples.load(), 6);
}

TEST_F(WorkerHeartbeatTest, WorkersFromMetricsKeepsEachWorkersLatestBeatNewestFirst) {
  std::map<std::string, double> yesterday = {{std::string(kWorkerMetricPrefix) + "a:1#seen_ms", 1000},
                                             {std::string(kWorkerMetricPrefix) + "a:1#busy", 1},
                                             {std::string(kWorkerMetricPrefix) + "b:2#seen_ms", 5000},
                                             {"documents_completed", 3}};
  std::map<std::string, double> today = {{std::string(kWorkerMetricPrefix) + "a:1#seen_ms", 9000},
                                         {std::string(kWorkerMetricPrefix) + "a:1#busy", 0},
                                         {std::string(kWorkerMetricPrefix) + "a:1#threads", 2}};
  std::vector<WorkerSeen> seen = WorkersFromMetrics({yesterday, today});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].worker_id, "a:1");
  EXPECT_EQ(seen[0].seen_at, 9000);
  EXPECT_EQ(seen[0].beat.busy, 0);
  EXPECT_EQ(seen[0].beat.threads, 2);
  EXPECT_EQ(seen[1].worker_id, "b:2");
  EXPECT_EQ(seen[1].seen_at, 5000);
}

}  // namespace
}  // namespace docpipe
