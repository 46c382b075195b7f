#!/usr/bin/env bash
# `make test`: every test from ONE build. Each source is compiled once, with
# AddressSanitizer + UndefinedBehaviorSanitizer at -Og without debug info
# (build-asan/; docs/testing.md has the measurements behind -Og), and every
# stage runs from that build: unit and moto tests, the end-to-end tests (they
# spawn that build's docpipe, so the CLI runs under the sanitizers too), the
# deployment tests (the Lambda zip packs that binary with the sanitizer
# runtimes), the layer checks and the fuzz targets (tests/fuzz/, linked from
# this build's libraries with our own mutation driver; bench/fuzz/run.sh
# builds them with clang and libFuzzer for long campaigns).
# Benchmarks are never built in a sanitizer build (`make bench` uses build/).
#   1. build build-asan/: docpipe (with its modules), unit_tests, e2e_tests,
#      fuzz_targets
#   2. every CTest test in it
# Every stage that can run does; the failures are listed at the end, and the
# exit status is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=${JOBS:-$(nproc)}
test_build=${ASAN_BUILD:-build-asan}
# One place for the optimisation level of the test build (docs/testing.md).
test_cxx_flags=${DOCPIPE_TEST_CXX_FLAGS:--Og -g0}
# Two tests per core: most of the suite's time is tests waiting on servers,
# retries and subprocesses (at -j2 on 2 idle cores the load average stays
# near 1.3); docs/testing.md has the measurement.
ctest_args=(--output-on-failure -j$((2 * jobs)))

failed=()
stage() {  # NAME COMMAND...
  local name=$1
  shift
  echo "== docpipe test stage: $name"
  if "$@"; then
    return 0
  fi
  echo "== docpipe test stage FAILED: $name" >&2
  failed+=("$name")
  return 1
}

scripts/install-deps.sh test || { echo "docpipe: installing the test dependencies failed" >&2; exit 1; }

built=0
stage "build $test_build (ASan + UBSan, $test_cxx_flags: docpipe, unit_tests, e2e_tests, fuzz_targets)" bash -c "
  cmake -S . -B '$test_build' -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS='$test_cxx_flags' -DDOCPIPE_SANITIZE=ON \
        -DDOCPIPE_UNIT_TESTS_ONLY=OFF -DDOCPIPE_TESTS=ON >/dev/null &&
  cmake --build '$test_build' -j$jobs --target docpipe unit_tests e2e_tests fuzz_targets" && built=1

if [ $built -eq 1 ]; then
  # Leaks fail (LeakSanitizer) in the test binaries and in every docpipe they spawn.
  stage "every test: unit, moto, e2e, deploy, layers, fuzz (ASan + UBSan)" bash -c "cd '$test_build' &&
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest ${ctest_args[*]}"
else
  failed+=("tests: not run, their build failed")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "== docpipe: make test FAILED in ${#failed[@]} stage(s):" >&2
  printf '   - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "== docpipe: make test passed (every stage)"
