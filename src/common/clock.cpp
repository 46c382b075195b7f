#include "common/clock.h"

#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace docpipe {

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

bool StopSignal::Await(const std::function<bool()>& keep_waiting, int64_t real_timeout_ms) {
  std::unique_lock lock(mu_);
  auto done = [&] { return stopped_ || !keep_waiting(); };
  if (real_timeout_ms < 0) {
    cv_.wait(lock, done);
  } else {
    cv_.wait_for(lock, std::chrono::milliseconds(real_timeout_ms), done);
  }
  return stopped_;
}

void StopSignal::Notify() {
  // Taking the lock orders this after a waiter's check of its condition, so
  // the wake-up cannot fall between that check and its wait.
  { std::lock_guard lock(mu_); }
  cv_.notify_all();
}

namespace {

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t MonotonicMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  void SleepMs(int64_t ms) override {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  bool WaitFor(int64_t ms, StopSignal& stop) override {
    return stop.Await([] { return true; }, ms > 0 ? ms : 0);
  }
};

std::tm UtcTm(TimeMs t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::unique_ptr<Clock> NewSystemClock() { return std::make_unique<SystemClock>(); }

std::string FormatIso8601(TimeMs t) {
  std::tm tm = UtcTm(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(t % 1000));
}

std::string FormatDate(TimeMs t) {
  std::tm tm = UtcTm(t);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace docpipe
