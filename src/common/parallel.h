#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/status.h"

// Parallelism inside one document: how many cores this process may use, and
// a parallel loop whose results do not depend on the thread count.
namespace docpipe {

// Cores this process may run on: the CPU affinity mask, capped by a cgroup
// CPU quota (cgroup v2 cpu.max, or v1 cfs_quota_us / cfs_period_us, rounded
// up), and at least 1. `cgroup_root` is where the cgroup file system is
// mounted (tests point it at a fake tree).
int AvailableCores(const std::string& cgroup_root = "/sys/fs/cgroup");

// The thread count to use: `configured` when positive, else AvailableCores().
int EffectiveThreads(int configured);

// Calls fn(i) for every i in [0, n) on up to `threads` threads (the caller's
// included), and returns the status of the lowest i that failed, or OK. Once
// an index fails, indexes not yet started are skipped. fn must only touch
// state of its own index (write results into slot i): the outcome is then the
// same for any thread count. threads <= 1 runs in order on the caller.
Status ParallelFor(size_t n, int threads, const std::function<Status(size_t)>& fn);

}  // namespace docpipe
