// WorkerPool (pipeline/worker_pool.h) with a real DocumentProcessor on the
// embedded adapters and the fake clock (long polls and the backoff after a
// failed receive advance it; nothing sleeps real time for a timer). The test
// waits, in bounded real time, only for the pool's threads to get somewhere.
#include "pipeline/worker_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "pipeline/registrar.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

using testing::ScriptedStage;

// Polls `done` until it holds or 20 s of real time have passed.
bool Eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  // Leases and visibility no run outlasts: an idle thread moves the fake
  // clock on by wait_ms with every empty poll, hundreds of polls a second, so
  // a lease on that clock can run out while a loaded machine is still in a
  // document's stage, and its message is then delivered a second time. The
  // processor copies its options when it is built, so they are set here, in
  // the members' initialisers, not in the constructor's body.
  static constexpr int64_t kThousandDaysMs = 1'000LL * 24 * 3'600'000;
  static ProcessorOptions LongLeases() {
    ProcessorOptions options;
    options.lease_ms = kThousandDaysMs;
    options.heartbeat_ms = kThousandDaysMs / 6;
    return options;
  }
  static WorkerPoolOptions LongVisibility() {
    WorkerPoolOptions options;
    options.visibility_ms = kThousandDaysMs;
    options.wait_ms = 500;
    return options;
  }

  Registration Register(const std::string& name) {
    testing::WriteFile(ws_.dir().Join("src/" + name), "content of " + name);
    Result<Registration> r = registrar_.RegisterLocalFile(ws_.dir().Join("src/" + name), "input/" + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Registration{};
  }
  DocStatus StatusOf(const Registration& reg) {
    Result<ControlRecord> r = ws_.real_control().Get(reg.document_id, reg.processing_version);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : DocStatus::kPending;
  }
  std::unique_ptr<WorkerPool> Pool(int threads) {
    pool_options_.threads = threads;
    return std::make_unique<WorkerPool>(ws_.services(), processor_, pool_options_);
  }

  testing::FakeClock clock_;
  testing::PipelineWorkspace ws_{clock_};
  EventRecorder events_{ws_.services(), "pool-test", 0};
  Registrar registrar_{ws_.services(), events_, 3};
  ScriptedStage extract_{"extract"};
  ProcessorOptions processor_options_ = LongLeases();
  WorkerPoolOptions pool_options_ = LongVisibility();
  DocumentProcessor processor_{ws_.services(), events_, {&extract_}, processor_options_};
};

TEST_F(WorkerPoolTest, ThreadsProcessEveryQueuedDocumentThenPollEmpty) {
  const std::vector<Registration> regs = {Register("a.md"), Register("b.md"), Register("c.md")};
  auto pool = Pool(2);
  pool->Start();
  ASSERT_TRUE(Eventually([&] { return pool->Processed() == 3; })) << pool->Processed();
  const int64_t empty = pool->EmptyPolls();
  ASSERT_TRUE(Eventually([&] { return pool->EmptyPolls() > empty; })) << "idle threads keep polling";
  pool->StopReceiving();
  pool->Join();
  EXPECT_EQ(pool->Busy(), 0);
  EXPECT_EQ(pool->Processed(), 3);
  EXPECT_EQ(extract_.runs, 3);
  for (const Registration& reg : regs) EXPECT_EQ(StatusOf(reg), DocStatus::kCompleted) << reg.source_key;
  QueueStats stats = *ws_.real_queue().Stats();
  EXPECT_EQ(stats.visible + stats.in_flight + stats.delayed, 0) << "every message deleted";
}

// ingest waits on the clock between looks at the control table; the pool
// ends that wait as soon as a document is done, not at the next look.
TEST_F(WorkerPoolTest, AFinishedDocumentStopsTheProgressSignal) {
  StopSignal progress;
  auto pool = Pool(1);
  pool->WakeOnProgress(&progress);
  pool->Start();
  EXPECT_FALSE(progress.stopped()) << "nothing processed yet";
  Registration reg = Register("a.md");
  ASSERT_TRUE(Eventually([&] { return progress.stopped(); }));
  EXPECT_EQ(pool->Processed(), 1);
  EXPECT_EQ(StatusOf(reg), DocStatus::kCompleted);
  pool->WakeOnProgress(nullptr);
  pool->StopReceiving();
  pool->Join();
}

TEST_F(WorkerPoolTest, StopReceivingLetsTheDocumentInFlightFinish) {
  Registration reg = Register("a.md");
  Registration later = Register("b.md");
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  extract_.during = [&](const StageContext& ctx) {
    if (ctx.record.document_id != reg.document_id) return;
    started.set_value();
    released.wait();
  };
  auto pool = Pool(1);
  pool->Start();
  started.get_future().wait();
  EXPECT_EQ(pool->Busy(), 1);
  pool->StopReceiving();
  release.set_value();
  pool->Join();
  EXPECT_EQ(StatusOf(reg), DocStatus::kCompleted) << "finished, not cancelled";
  EXPECT_EQ(StatusOf(later), DocStatus::kPending) << "not started after the stop";
  EXPECT_EQ(extract_.runs, 1);
  EXPECT_EQ(pool->Processed(), 1);
  EXPECT_EQ(ws_.real_queue().Stats()->visible, 1) << "its message waits for the next worker";
}

TEST_F(WorkerPoolTest, CancelAsksTheDocumentInFlightToStopAndReleasesIt) {
  Registration reg = Register("a.md");
  std::promise<void> started;
  extract_.during = [&](const StageContext& ctx) {
    started.set_value();
    // The processor's heartbeat passes the pool's cancel on within 100 ms of
    // clock time; the stage sees it and gives up.
    ASSERT_NE(ctx.cancel, nullptr);
    ASSERT_TRUE(Eventually([&] {
      clock_.Advance(100);
      return ctx.cancel->load();
    }));
  };
  extract_.result = Status::Cancelled("shutdown");
  auto pool = Pool(1);
  pool->Start();
  started.get_future().wait();
  pool->Cancel();
  pool->Join();
  Result<ControlRecord> rec = ws_.real_control().Get(reg.document_id, reg.processing_version);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->status, DocStatus::kPending);
  EXPECT_EQ(rec->lease_owner, "") << "released for another worker";
  EXPECT_EQ(ws_.real_queue().Stats()->visible, 1);
}

TEST_F(WorkerPoolTest, AFailedReceiveIsLoggedAndRetriedAfterTheWaitOnTheClock) {
  Registration reg = Register("a.md");
  ws_.faults().Fail("queue.Receive", Status::Unavailable("queue unreachable"), 3);
  const TimeMs before = clock_.NowMs();
  auto pool = Pool(1);
  pool->Start();
  ASSERT_TRUE(Eventually([&] { return pool->Processed() == 1; }));
  pool->StopReceiving();
  pool->Join();
  std::vector<nlohmann::json> logged = ws_.logger().Lines("queue_receive_failed");
  // Once per error text (and then every few minutes): a full disk must not flood the log.
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0]["error"].get<std::string>().find("queue unreachable"), std::string::npos);
  EXPECT_GE(clock_.NowMs() - before, 3 * pool_options_.wait_ms) << "a wait after each failure, on the clock";
  EXPECT_EQ(StatusOf(reg), DocStatus::kCompleted);
}

TEST_F(WorkerPoolTest, AWorkerIdMakesHeartbeatsWithTheLastOneIdle) {
  pool_options_.worker_id = "host:9";
  pool_options_.heartbeat_ms = 15'000;
  Register("a.md");
  auto pool = Pool(2);
  pool->Start();
  ASSERT_TRUE(Eventually([&] { return pool->Processed() == 1; }));
  pool->StopReceiving();
  pool->Join();
  Result<std::map<std::string, double>> day = ws_.real_metrics().GetDay(FormatDate(clock_.NowMs()));
  ASSERT_TRUE(day.ok());
  std::vector<WorkerSeen> seen = WorkersFromMetrics({*day});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].worker_id, "host:9");
  EXPECT_EQ(seen[0].beat.threads, 2);
  EXPECT_EQ(seen[0].beat.busy, 0) << "the last beat, at Join";
  EXPECT_EQ(seen[0].beat.processed, 1);

  // No worker id, no heartbeat.
  pool_options_.worker_id = "";
  pool_options_.heartbeat_ms = 15'000;
  const int sets = ws_.faults().Calls("metrics.Set") + ws_.faults().Calls("metrics.Add");
  auto quiet = Pool(1);
  quiet->Start();
  quiet->StopReceiving();
  quiet->Join();
  EXPECT_EQ(ws_.faults().Calls("metrics.Set") + ws_.faults().Calls("metrics.Add"), sets);
}

TEST_F(WorkerPoolTest, DestroyingARunningPoolCancelsAndJoins) {
  auto pool = Pool(2);
  pool->Start();
  ASSERT_TRUE(Eventually([&] { return pool->EmptyPolls() > 2; }));
  pool.reset();  // returns once the threads were stopped and joined
  Registration reg = Register("after.md");
  const int receives = ws_.faults().Calls("queue.Receive");
  clock_.Advance(60'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ws_.faults().Calls("queue.Receive"), receives) << "no thread polls any more";
  EXPECT_EQ(StatusOf(reg), DocStatus::kPending);
  EXPECT_EQ(ws_.real_queue().Stats()->visible, 1);
}

}  // namespace
}  // namespace docpipe
