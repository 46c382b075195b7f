#pragma once

#include <cstddef>

namespace docpipe {

// 1 - dot(a, b) over n floats: the distance hnswlib's inner-product space
// computes, with the signature of its DISTFUNC (the third argument points to
// n as a size_t).
using DotDistanceFunction = float (*)(const void* a, const void* b, const void* n);

// The distance with the widest vector unit this CPU has, asked at run time
// (__builtin_cpu_supports): the build targets generic x86-64, where hnswlib
// compiles its SSE version only. nullptr when the CPU has neither AVX-512F
// nor AVX2 with FMA (or this is not x86-64): use hnswlib's own then.
DotDistanceFunction FastestDotDistance();
// "avx512f", "avx2+fma" or "" (none of them): for logs and benchmarks.
const char* FastestDotDistanceName();

// Each variant, for the tests (nullptr when this CPU cannot run it).
DotDistanceFunction DotDistanceAvx512();
DotDistanceFunction DotDistanceAvx2Fma();

}  // namespace docpipe
