// CPU time of one 512-d inner-product distance: hnswlib's SSE version (what
// a generic x86-64 build compiles) against index/dot_product.h's AVX2+FMA and
// AVX-512F versions, on vectors in cache (96) and out of it (4,096 = 8 MB).
// Thread CPU time, so other work on a shared machine changes it little.
// Usage: bench_distance [dimension]
#include <hnswlib/hnswlib.h>

#include <time.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <random>
#include <vector>

#include "index/dot_product.h"

namespace {

double ThreadCpuNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  size_t dim = argc > 1 ? static_cast<size_t>(std::atoi(argv[1])) : 512;
  hnswlib::InnerProductSpace sse(dim);
  struct Variant {
    const char* name;
    hnswlib::DISTFUNC<float> f;
  };
  const Variant variants[] = {{"hnswlib (SSE)", sse.get_dist_func()},
                              {"avx2+fma", docpipe::DotDistanceAvx2Fma()},
                              {"avx512f", docpipe::DotDistanceAvx512()}};
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0, 1);
  std::printf("# %zu-d distance, ns of thread CPU time each (median of 5)\n%-16s %10s %10s\n", dim, "variant",
              "in cache", "8 MB set");
  for (const Variant& v : variants) {
    if (v.f == nullptr) {
      std::printf("%-16s %10s %10s\n", v.name, "n/a", "n/a");
      continue;
    }
    double ns[2];
    for (int set = 0; set < 2; ++set) {
      const size_t m = set == 0 ? 96 : 8 * 1024 * 1024 / (dim * sizeof(float));
      std::vector<float> data(dim * m);
      for (float& x : data) x = normal(rng);
      std::vector<double> runs;
      for (int r = 0; r < 5; ++r) {
        volatile float sink = 0;
        size_t calls = 0;
        const double t0 = ThreadCpuNs();
        while (calls < 2'000'000) {
          for (size_t i = 0; i + 1 < m; ++i, ++calls) sink = sink + v.f(&data[i * dim], &data[(i * 7919 % m) * dim], &dim);
        }
        runs.push_back((ThreadCpuNs() - t0) / calls);
      }
      std::sort(runs.begin(), runs.end());
      ns[set] = runs[2];
    }
    std::printf("%-16s %10.1f %10.1f\n", v.name, ns[0], ns[1]);
  }
  return 0;
}
