// The JSON-lines logger (common/logger.h): one object per line with the
// clock's time, the level and the event first, the fields after; lines
// below the minimum level dropped; appended to a file whose folders it makes;
// a file that cannot be written is reported once and the lines go to stderr.
#include "common/logger.h"

#include <gtest/gtest.h>

#include <sstream>

#include "support/fake_clock.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

std::vector<nlohmann::json> Lines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(testing::ReadFile(path));
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(JsonLinesLoggerTest, WritesOneObjectPerLineFromTheMinimumLevelOn) {
  testing::TempDir dir;
  testing::FakeClock clock;
  const std::string path = dir.Join("logs/deep/docpipe.log");
  {
    std::unique_ptr<Logger> log = NewJsonLinesLogger(clock, path, false, LogLevel::kInfo);
    log->Debug("too_chatty", {{"document_id", "d"}});
    log->Info("stage_completed", {{"document_id", "d-1"}, {"stage", "chunk"}});
    clock.Advance(1500);
    log->Error("bad_bytes", {{"document_id", "d-2"}, {"text", std::string("\xff\xfe", 2)}});
    log->Warn("no_fields", nlohmann::json("not an object"));
  }
  std::vector<nlohmann::json> lines = Lines(path);
  ASSERT_EQ(lines.size(), 3u) << testing::ReadFile(path);
  EXPECT_EQ(lines[0]["time"], FormatIso8601(testing::FakeClock::kDefaultStart));
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["event"], "stage_completed");
  EXPECT_EQ(lines[0]["document_id"], "d-1");
  EXPECT_EQ(lines[0]["stage"], "chunk");
  EXPECT_EQ(lines[1]["time"], FormatIso8601(testing::FakeClock::kDefaultStart + 1500));
  EXPECT_EQ(lines[1]["level"], "error");
  EXPECT_EQ(lines[1]["text"], "\xEF\xBF\xBD\xEF\xBF\xBD") << "invalid UTF-8 replaced, the line still parses";
  EXPECT_EQ(lines[2]["level"], "warn");
  EXPECT_EQ(lines[2].size(), 3u) << "fields that are no object are left out";

  // A second logger appends.
  NewJsonLinesLogger(clock, path, false, LogLevel::kDebug)->Debug("again");
  lines = Lines(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3]["level"], "debug");
}

TEST(JsonLinesLoggerTest, LevelNamesParseWithInfoAsTheDefault) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("loud"), LogLevel::kInfo);
}

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
