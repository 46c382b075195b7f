#include "index/dot_product.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace docpipe {

#if defined(__x86_64__)
namespace {

// Compiled for their instruction sets by attribute, called only after the
// CPU was asked. Four accumulators per step hide the FMA latency; the tail
// (a dimension not a multiple of the vector width) is summed in scalar.
__attribute__((target("avx2,fma"))) float DotDistanceAvx2FmaImpl(const void* av, const void* bv, const void* nv) {
  const float* a = static_cast<const float*>(av);
  const float* b = static_cast<const float*>(bv);
  const size_t n = *static_cast<const size_t*>(nv);
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps();
  __m256 s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < n; ++i) sum += a[i] * b[i];
  return 1.0f - sum;
}

__attribute__((target("avx512f"))) float DotDistanceAvx512Impl(const void* av, const void* bv, const void* nv) {
  const float* a = static_cast<const float*>(av);
  const float* b = static_cast<const float*>(bv);
  const size_t n = *static_cast<const size_t*>(nv);
  __m512 s0 = _mm512_setzero_ps();
  __m512 s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps();
  __m512 s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  s0 = _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3));
  // Summed through memory: GCC 12's _mm512_reduce_add_ps warns (-Wuninitialized) in its own header.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s0);
  float sum = 0;
  for (float lane : lanes) sum += lane;
  for (; i < n; ++i) sum += a[i] * b[i];
  return 1.0f - sum;
}

}  // namespace

DotDistanceFunction DotDistanceAvx512() {
  return __builtin_cpu_supports("avx512f") ? &DotDistanceAvx512Impl : nullptr;
}

DotDistanceFunction DotDistanceAvx2Fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &DotDistanceAvx2FmaImpl : nullptr;
}

#else

DotDistanceFunction DotDistanceAvx512() { return nullptr; }
DotDistanceFunction DotDistanceAvx2Fma() { return nullptr; }

#endif

DotDistanceFunction FastestDotDistance() {
  if (DotDistanceFunction f = DotDistanceAvx512()) return f;
  return DotDistanceAvx2Fma();
}

const char* FastestDotDistanceName() {
  if (DotDistanceAvx512() != nullptr) return "avx512f";
  if (DotDistanceAvx2Fma() != nullptr) return "avx2+fma";
  return "";
}

}  // namespace docpipe
