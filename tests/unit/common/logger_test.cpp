#include "common/logger.h"

#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

// Issue 17: with the disk full, log lines were lost without a word. /dev/full
// answers every write with ENOSPC, as a full disk does.
TEST(JsonLinesLoggerTest, AFileThatCannotBeWrittenIsReportedOnceAndLinesGoToStderr) {
  testing::FakeClock clock;
  ::testing::internal::CaptureStderr();
  {
    std::unique_ptr<Logger> log = NewJsonLinesLogger(clock, "/dev/full", false, LogLevel::kInfo);
    log->Info("first", {{"document_id", "d1"}});
    log->Info("second", {{"document_id", "d2"}});
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("docpipe: cannot write the log file /dev/full: No space left on device"), std::string::npos)
      << err;
  size_t notices = 0;
  for (size_t at = err.find("cannot write the log file"); at != std::string::npos;
       at = err.find("cannot write the log file", at + 1)) {
    ++notices;
  }
  EXPECT_EQ(notices, 1u) << err;
  EXPECT_NE(err.find("\"event\":\"first\""), std::string::npos) << err;
  EXPECT_NE(err.find("\"event\":\"second\""), std::string::npos) << err;
}

TEST(JsonLinesLoggerTest, AWritableFileGetsTheLinesAndStderrNothing) {
  testing::TempDir dir;
  testing::FakeClock clock;
  ::testing::internal::CaptureStderr();
  {
    std::unique_ptr<Logger> log = NewJsonLinesLogger(clock, dir.Join("logs/d.jsonl"), false, LogLevel::kInfo);
    log->Info("hello", {{"document_id", "d1"}});
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_NE(testing::ReadFile(dir.Join("logs/d.jsonl")).find("\"event\":\"hello\""), std::string::npos);
}

TEST(JsonLinesLoggerTest, AFileThatCannotBeOpenedIsReported) {
  testing::FakeClock clock;
  ::testing::internal::CaptureStderr();
  {
    std::unique_ptr<Logger> log = NewJsonLinesLogger(clock, "/proc/docpipe-no/such.jsonl", false, LogLevel::kInfo);
    log->Warn("kept", {{"document_id", "d1"}});
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cannot write the log file /proc/docpipe-no/such.jsonl"), std::string::npos) << err;
  EXPECT_NE(err.find("\"event\":\"kept\""), std::string::npos) << err;
}

}  // namespace
}  // namespace docpipe
