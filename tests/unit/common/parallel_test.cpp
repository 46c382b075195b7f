#include "common/parallel.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "support/test_util.h"

namespace docpipe {
namespace {

int AffinityCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  return CPU_COUNT(&set);
}

TEST(ParallelForTest, EveryIndexOnceInItsOwnSlot) {
  for (int threads : {1, 2, 7}) {
    std::vector<int> out(1000, 0);
    std::mutex mu;
    std::set<std::thread::id> ids;
    Status st = ParallelFor(out.size(), threads, [&](size_t i) {
      out[i] += static_cast<int>(i) * 2;
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok());
    for (size_t i = 0; i < out.size(); ++i) ASSERT_EQ(out[i], static_cast<int>(i) * 2);
    EXPECT_LE(ids.size(), static_cast<size_t>(threads));
    if (threads == 1) {
      EXPECT_EQ(*ids.begin(), std::this_thread::get_id());
    }
  }
}

TEST(ParallelForTest, ReturnsTheLowestFailureAsTheSerialLoopWould) {
  for (int threads : {1, 2, 4}) {
    std::atomic<int> ran{0};
    Status st = ParallelFor(500, threads, [&](size_t i) {
      ++ran;
      if (i == 300 || i == 100) return Status::InvalidInput("bad " + std::to_string(i));
      return Status::Ok();
    });
    EXPECT_EQ(st.message(), "bad 100") << threads;
    EXPECT_LT(ran.load(), 500) << "indexes after a failure are skipped";
  }
  EXPECT_TRUE(ParallelFor(0, 4, [](size_t) { return Status::InvalidInput("never"); }).ok());
}

TEST(ParallelForTest, AnExceptionBecomesAnInternalError) {
  Status st = ParallelFor(10, 3, [](size_t i) -> Status {
    if (i == 4) throw std::runtime_error("boom");
    return Status::Ok();
  });
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_NE(st.message().find("boom"), std::string::npos);
}

TEST(AvailableCoresTest, CgroupQuotaCapsTheAffinityMask) {
  testing::TempDir dir;
  const int affinity = AffinityCores();
  // No cgroup files: the affinity mask.
  EXPECT_EQ(AvailableCores(dir.path()), affinity);
  // cgroup v2, unlimited.
  testing::WriteFile(dir.Join("cpu.max"), "max 100000\n");
  EXPECT_EQ(AvailableCores(dir.path()), affinity);
  // cgroup v2, half a CPU: rounded up to one.
  testing::WriteFile(dir.Join("cpu.max"), "50000 100000\n");
  EXPECT_EQ(AvailableCores(dir.path()), 1);
  // cgroup v2, a large quota: never more than the mask.
  testing::WriteFile(dir.Join("cpu.max"), "6400000 100000\n");
  EXPECT_EQ(AvailableCores(dir.path()), affinity);
  // cgroup v1 quota of 1.5 CPUs: 2 (when the mask allows 2).
  testing::TempDir v1;
  ASSERT_EQ(::mkdir(v1.Join("cpu").c_str(), 0755), 0);
  testing::WriteFile(v1.Join("cpu/cpu.cfs_quota_us"), "150000\n");
  testing::WriteFile(v1.Join("cpu/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(AvailableCores(v1.path()), std::min(2, affinity));
  testing::WriteFile(v1.Join("cpu/cpu.cfs_quota_us"), "-1\n");
  EXPECT_EQ(AvailableCores(v1.path()), affinity);
}

TEST(AvailableCoresTest, ConfiguredCountWins) {
  EXPECT_EQ(EffectiveThreads(3), 3);
  EXPECT_EQ(EffectiveThreads(0), AvailableCores());
  EXPECT_GE(AvailableCores(), 1);
}

}  // namespace
}  // namespace docpipe
