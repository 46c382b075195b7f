#include "common/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace docpipe {
namespace {

// The quota of `root` in CPUs (fractional), or 0 when unlimited or unknown.
double CgroupQuota(const std::string& root) {
  std::ifstream v2(root + "/cpu.max");
  std::string quota;
  double period = 0;
  if (v2 >> quota >> period) {
    if (quota == "max" || period <= 0) return 0;
    try {
      return std::stod(quota) / period;
    } catch (...) {
      return 0;
    }
  }
  std::ifstream q(root + "/cpu/cpu.cfs_quota_us"), p(root + "/cpu/cpu.cfs_period_us");
  double us = 0, per = 0;
  if (q >> us && p >> per && us > 0 && per > 0) return us / per;
  return 0;
}

}  // namespace

int AvailableCores(const std::string& cgroup_root) {
  int cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = static_cast<int>(std::thread::hardware_concurrency());
  if (const double quota = CgroupQuota(cgroup_root); quota > 0)
    cores = std::min(cores > 0 ? cores : 1 << 20, static_cast<int>(std::ceil(quota)));
  return std::max(1, cores);
}

int EffectiveThreads(int configured) { return configured > 0 ? configured : AvailableCores(); }

Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn) {
  if (n == 0) return Status::Ok();
  const size_t workers = std::min<size_t>(n, static_cast<size_t>(std::max(1, threads)));
  if (workers == 1) {
    for (size_t i = 0; i < n; ++i) DOCPIPE_RETURN_IF_ERROR(fn(i));
    return Status::Ok();
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  size_t first_failed = n;
  Status first_status;
  auto run = [&] {
    for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
      Status st;
      try {
        st = fn(i);
      } catch (const std::exception& e) {
        st = Status::Internal(std::string("parallel task failed: ") + e.what());
      }
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_failed) first_failed = i, first_status = std::move(st);
        failed.store(true);
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(run);
  run();
  for (std::thread& t : pool) t.join();
  return first_failed < n ? first_status : Status::Ok();
}

}  // namespace docpipe
