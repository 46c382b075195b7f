#include "common/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

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
      : clock_(clock), path_(path), also_stderr_(also_stderr || path.empty()), min_level_(min_level) {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (fd_ < 0) Broken(errno);
    }
  }
  ~JsonLinesLogger() override {
    if (fd_ >= 0) ::close(fd_);
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
    bool written = false;
    if (fd_ >= 0) {
      if (WriteLine(text)) {
        written = true;
        if (broken_) {
          broken_ = false;
          std::fprintf(stderr, "docpipe: writing the log file %s again\n", path_.c_str());
        }
      } else {
        Broken(errno);
      }
    }
    // A line the file did not take goes to stderr rather than nowhere.
    if (also_stderr_ || (!written && !path_.empty())) std::fputs(text.c_str(), stderr);
  }

 private:
  bool WriteLine(const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Says once (until the file works again) that lines are not reaching it.
  void Broken(int err) {
    if (broken_) return;
    broken_ = true;
    std::fprintf(stderr, "docpipe: cannot write the log file %s: %s; log lines go to stderr until it can\n",
                 path_.c_str(), std::strerror(err));
  }

  const Clock& clock_;
  const std::string path_;
  bool also_stderr_;
  LogLevel min_level_;
  std::mutex mu_;
  int fd_ = -1;
  bool broken_ = false;
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
