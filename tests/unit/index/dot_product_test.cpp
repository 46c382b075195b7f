#include "index/dot_product.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace docpipe {
namespace {

// Every dimension the configuration allows must come out right: multiples of
// the vector widths and the tails around them.
const size_t kDotDims[] = {8, 9, 15, 16, 17, 31, 32, 33, 47, 100, 384, 512, 513, 1536, 3072, 8192};

void ExpectMatchesDoublePrecision(DotDistanceFunction f, const std::string& name) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0, 1);
  for (size_t n : kDotDims) {
    std::vector<float> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      a[i] = normal(rng);
      b[i] = normal(rng);
    }
    double dot = 0, magnitude = 0;
    for (size_t i = 0; i < n; ++i) {
      dot += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const float got = f(a.data(), b.data(), &n);
    EXPECT_NEAR(got, 1.0 - dot, 1e-5 * magnitude + 1e-6) << name << " at dimension " << n;
    // Unaligned inputs (hnswlib's element blocks are not 32-byte aligned).
    std::vector<float> a1(n + 1), b1(n + 1);
    std::copy(a.begin(), a.end(), a1.begin() + 1);
    std::copy(b.begin(), b.end(), b1.begin() + 1);
    EXPECT_FLOAT_EQ(f(a1.data() + 1, b1.data() + 1, &n), got) << name << " unaligned at dimension " << n;
  }
}

TEST(DotProductTest, Avx2FmaMatchesDoublePrecision) {
  DotDistanceFunction f = DotDistanceAvx2Fma();
  if (f == nullptr) GTEST_SKIP() << "this CPU has no AVX2 with FMA";
  ExpectMatchesDoublePrecision(f, "avx2+fma");
}

TEST(DotProductTest, Avx512MatchesDoublePrecision) {
  DotDistanceFunction f = DotDistanceAvx512();
  if (f == nullptr) GTEST_SKIP() << "this CPU has no AVX-512F";
  ExpectMatchesDoublePrecision(f, "avx512f");
}

TEST(DotProductTest, FastestIsTheWidestTheCpuRuns) {
  DotDistanceFunction fastest = FastestDotDistance();
  const std::string name = FastestDotDistanceName();
  if (DotDistanceAvx512() != nullptr) {
    EXPECT_EQ(fastest, DotDistanceAvx512());
    EXPECT_EQ(name, "avx512f");
  } else if (DotDistanceAvx2Fma() != nullptr) {
    EXPECT_EQ(fastest, DotDistanceAvx2Fma());
    EXPECT_EQ(name, "avx2+fma");
  } else {
    EXPECT_EQ(fastest, nullptr);
    EXPECT_EQ(name, "");
  }
}

}  // namespace
}  // namespace docpipe
