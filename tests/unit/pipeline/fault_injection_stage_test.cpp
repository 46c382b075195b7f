// The test-only fault injection of stages (pipeline/fault_injection_stage.h):
// settings from the environment, and delays (on the fake clock), failures
// and document matching around a scripted stage. (The crash fault kills its
// process: the e2e tests use it on real binaries.)
#include "pipeline/fault_injection_stage.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"

namespace docpipe {
namespace {

using testing::ScriptedStage;

TEST(StageFaultsTest, ReadFromTheStagesVariablesWithBadNumbersAsZero) {
  const Environment env = {{"DOCPIPE_FAULT_EMBED_DELAY_MS", "1500"},
                           {"DOCPIPE_FAULT_EMBED_FAIL_ATTEMPTS", "2"},
                           {"DOCPIPE_FAULT_EMBED_CRASH", "1"},
                           {"DOCPIPE_FAULT_EMBED_MATCH", "slow"},
                           {"DOCPIPE_FAULT_CHUNK_DELAY_MS", "soon"}};
  StageFaults embed = StageFaultsFromEnvironment(env, "embed");
  EXPECT_EQ(embed.delay_ms, 1500);
  EXPECT_EQ(embed.fail_attempts, 2);
  EXPECT_TRUE(embed.crash);
  EXPECT_EQ(embed.match, "slow");
  EXPECT_TRUE(embed.any());
  StageFaults chunk = StageFaultsFromEnvironment(env, "chunk");
  EXPECT_EQ(chunk.delay_ms, 0) << "not a number";
  EXPECT_FALSE(chunk.any());
  EXPECT_FALSE(StageFaultsFromEnvironment({}, "load").any());
}

class FaultInjectionStageTest : public ::testing::Test {
 protected:
  static StageFaults Faults(int64_t delay_ms, int fail_attempts, std::string match = "") {
    StageFaults f;
    f.delay_ms = delay_ms;
    f.fail_attempts = fail_attempts;
    f.match = std::move(match);
    return f;
  }
  ControlRecord Record(const std::string& key, int attempts) {
    ControlRecord r;
    r.document_id = "d";
    r.processing_version = "000001";
    r.source_key = key;
    r.stage_status["extract"].attempts = attempts;
    return r;
  }
  StagePtr Wrapped(StageFaults faults) {
    auto inner = std::make_unique<ScriptedStage>("extract");
    inner_ = inner.get();
    return WrapWithFaults(std::move(inner), faults, clock_);
  }

  testing::FakeClock clock_;
  ScriptedStage* inner_ = nullptr;
};

TEST_F(FaultInjectionStageTest, NoFaultsIsTheStageItself) {
  auto inner = std::make_unique<ScriptedStage>("extract");
  Stage* raw = inner.get();
  StagePtr same = WrapWithFaults(std::move(inner), {}, clock_);
  EXPECT_EQ(same.get(), raw);
}

TEST_F(FaultInjectionStageTest, TheFirstAttemptsFailThenTheStageRuns) {
  StagePtr stage = Wrapped(Faults(0, 2));
  EXPECT_EQ(stage->Name(), "extract");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ControlRecord r = Record("input/a.pdf", attempt);
    Result<StageResult> got = stage->Run({r, 0, nullptr});
    EXPECT_EQ(got.status().code(), Status::Code::kUnavailable) << attempt;
    EXPECT_NE(got.status().message().find("attempt " + std::to_string(attempt) + " of 2"), std::string::npos);
  }
  ControlRecord third = Record("input/a.pdf", 3);
  EXPECT_TRUE(stage->Run({third, 0, nullptr}).ok());
  EXPECT_EQ(inner_->runs, 1);
}

TEST_F(FaultInjectionStageTest, ADelayTakesClockTimeAndHonoursCancelAndDeadline) {
  StagePtr stage = Wrapped(Faults(1000, 0));
  ControlRecord r = Record("input/a.pdf", 1);
  const TimeMs start = clock_.NowMs();
  ASSERT_TRUE(stage->Run({r, 0, nullptr}).ok());
  EXPECT_EQ(clock_.NowMs() - start, 1000);
  EXPECT_EQ(clock_.sleeps(), 20) << "in 50 ms slices";

  std::atomic<bool> cancel{true};
  EXPECT_EQ(stage->Run({r, 0, &cancel}).status().code(), Status::Code::kCancelled);
  Result<StageResult> late = stage->Run({r, clock_.NowMs() + 120, nullptr});
  EXPECT_EQ(late.status().code(), Status::Code::kTimeout);
  EXPECT_NE(late.status().message().find("input/a.pdf"), std::string::npos);
  EXPECT_EQ(inner_->runs, 1);
}

TEST_F(FaultInjectionStageTest, OnlyMatchingDocumentsGetTheFaults) {
  StagePtr stage = Wrapped(Faults(0, 5, "poison"));
  ControlRecord fine = Record("input/fine.pdf", 1);
  ControlRecord poison = Record("input/poison.pdf", 1);
  EXPECT_TRUE(stage->Run({fine, 0, nullptr}).ok());
  EXPECT_EQ(stage->Run({poison, 0, nullptr}).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(inner_->runs, 1);
}

}  // namespace
}  // namespace docpipe
