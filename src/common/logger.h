#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace docpipe {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// Structured logger: one JSON object per line with time, level, event and
// fields. Callers put `document_id` in the fields of every per-document event.
// Thread-safe. Never pass secrets in fields.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, const std::string& event, nlohmann::json fields) = 0;

  void Debug(const std::string& e, nlohmann::json f = nlohmann::json::object()) { Log(LogLevel::kDebug, e, std::move(f)); }
  void Info(const std::string& e, nlohmann::json f = nlohmann::json::object()) { Log(LogLevel::kInfo, e, std::move(f)); }
  void Warn(const std::string& e, nlohmann::json f = nlohmann::json::object()) { Log(LogLevel::kWarn, e, std::move(f)); }
  void Error(const std::string& e, nlohmann::json f = nlohmann::json::object()) { Log(LogLevel::kError, e, std::move(f)); }
};

// Writes JSON lines to `path` (appending; directories created) and, when
// `also_stderr`, to stderr. An empty path means stderr only. When the file
// cannot be opened or written (a full disk, EIO), stderr says so once, with
// the reason, and gets the lines meanwhile; it says so again when the file
// takes lines again.
std::unique_ptr<Logger> NewJsonLinesLogger(const Clock& clock, const std::string& path, bool also_stderr,
                                           LogLevel min_level);
// Discards everything (tests).
std::unique_ptr<Logger> NewNullLogger();

LogLevel ParseLogLevel(const std::string& s);

}  // namespace docpipe
