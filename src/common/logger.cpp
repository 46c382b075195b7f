#include "common/logger.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace docpipe {
namespace {

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

class JsonLinesLogger final : public Logger {
 public:
  JsonLinesLogger(const Clock& clock, const std::string& path, bool also_stderr, LogLevel min_level)
      : clock_(clock), also_stderr_(also_stderr || path.empty()), min_level_(min_level) {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      file_.open(path, std::ios::app);
    }
  }

  void Log(LogLevel level, const std::string& event, nlohmann::json fields) override {
    if (level < min_level_) return;
    nlohmann::json line = nlohmann::json::object();
    line["time"] = FormatIso8601(clock_.NowMs());
    line["level"] = LevelName(level);
    line["event"] = event;
    if (fields.is_object()) {
      for (auto& [k, v] : fields.items()) line[k] = std::move(v);
    }
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    std::lock_guard<std::mutex> lock(mu_);
    if (file_.is_open()) {
      file_ << text;
      file_.flush();
    }
    if (also_stderr_) std::fputs(text.c_str(), stderr);
  }

 private:
  const Clock& clock_;
  bool also_stderr_;
  LogLevel min_level_;
  std::mutex mu_;
  std::ofstream file_;
};

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, const std::string&, nlohmann::json) override {}
};

}  // namespace

std::unique_ptr<Logger> NewJsonLinesLogger(const Clock& clock, const std::string& path, bool also_stderr,
                                           LogLevel min_level) {
  return std::make_unique<JsonLinesLogger>(clock, path, also_stderr, min_level);
}

std::unique_ptr<Logger> NewNullLogger() { return std::make_unique<NullLogger>(); }

LogLevel ParseLogLevel(const std::string& s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "warn" || s == "warning") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

}  // namespace docpipe
