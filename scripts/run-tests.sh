#!/usr/bin/env bash
# `make test`: every test from ONE build. Each source is compiled once, by
# clang, with AddressSanitizer + UndefinedBehaviorSanitizer at -O1 without
# debug info (build-asan/; docs/testing.md has the measurements behind the
# compiler and the level; the Release build is g++'s), and every
# stage runs from that build: unit and moto tests, the end-to-end tests (they
# spawn that build's docpipe, so the CLI runs under the sanitizers too), the
# deployment tests (the Lambda zip packs that binary, which carries clang's
# sanitizer runtimes), the layer checks and the fuzz targets (tests/fuzz/, linked from
# this build's libraries with our own mutation driver; bench/fuzz/run.sh
# builds them with clang and libFuzzer for long campaigns).
# Benchmarks are never built in a sanitizer build (`make bench` uses build/).
#   1. build build-asan/docpipe (with its modules)
#   2. the deployment tests (they need that docpipe only), in the background
#   3. meanwhile, build unit_tests, e2e_tests and fuzz_targets
#   4. every other CTest test; then the deployment tests' output
# Every stage that can run does; the failures are listed at the end, and the
# exit status is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=${JOBS:-$(nproc)}
test_build=${ASAN_BUILD:-build-asan}
# One place for the compiler and the optimisation level of the test build
# (docs/testing.md): clang compiles the sanitizer build in 0.71 of g++'s CPU
# time (the tests' own code in 0.4), and its UBSan also checks conversions of
# floating-point values to integers, which GCC's -fsanitize=undefined leaves out.
test_cc=${DOCPIPE_TEST_CC:-clang}
test_cxx=${DOCPIPE_TEST_CXX:-clang++}
test_cxx_flags=${DOCPIPE_TEST_CXX_FLAGS:--O1 -g0}
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

# clang's sanitizers name the functions in a report with llvm-symbolizer;
# without it a report is bare addresses, and the leak suppressions
# (tests/fuzz/lsan.supp), which match function and library names, match
# nothing.
symbolizer=$(command -v llvm-symbolizer || true)
if [ -z "$symbolizer" ]; then
  echo "docpipe: llvm-symbolizer is missing (Debian's llvm package; scripts/install-deps.sh test installs it)" >&2
  exit 1
fi
# intercept_tls_get_addr=0: LLVM 14's LeakSanitizer can take a bogus range
# for a dlopen'd library's dynamic TLS under glibc 2.36 and crash in its
# tracer ("Tracer caught signal 11", google/sanitizers#1322); FormatsTest hit
# it once the unit tests grew. Leaks are still found; only pointers held in
# dynamic TLS alone would now read as leaks, which fails a test, not hides one.
sanitizers=(ASAN_OPTIONS=detect_leaks=1:intercept_tls_get_addr=0 UBSAN_OPTIONS=print_stacktrace=1
            "ASAN_SYMBOLIZER_PATH=$symbolizer")
# Ninja schedules the whole build as one graph (the precompiled headers
# first, the largest batches as early as their inputs allow); a directory
# configured earlier with another generator is configured afresh.
if [ -f "$test_build/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$test_build/CMakeCache.txt"; then
  echo "== $test_build was configured with another generator: configuring it afresh with Ninja"
  rm -rf "$test_build/CMakeCache.txt" "$test_build/CMakeFiles"
fi
# Likewise a directory configured with another compiler (CMake cannot switch
# a configured directory's compiler).
test_cxx_path=$(command -v "$test_cxx" || echo "$test_cxx")
if [ -f "$test_build/CMakeCache.txt" ] &&
   ! grep -qx "CMAKE_CXX_COMPILER:[A-Z]*=$test_cxx_path" "$test_build/CMakeCache.txt"; then
  echo "== $test_build was configured with another compiler: configuring it afresh with $test_cxx_path"
  rm -rf "$test_build/CMakeCache.txt" "$test_build/CMakeFiles"
fi

# 1. docpipe and its modules.
docpipe_built=0
stage "build $test_build/docpipe (ASan + UBSan, $test_cxx_flags)" bash -c "
  cmake -G Ninja -S . -B '$test_build' -DCMAKE_C_COMPILER='$test_cc' -DCMAKE_CXX_COMPILER='$test_cxx_path' \
        -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS='$test_cxx_flags' \
        -DDOCPIPE_SANITIZE=ON -DDOCPIPE_UNIT_TESTS_ONLY=OFF -DDOCPIPE_TESTS=ON >/dev/null &&
  cmake --build '$test_build' -j$jobs --target docpipe" && docpipe_built=1

# 2. The deployment tests need that docpipe only: they run while the tests'
# own code compiles, in the moments its links and last batches leave a core
# idle, and may go on beside step 4 (docs/testing.md has what it saves).
deploy_log=$test_build/deploy-tests.log
deploy_pid=
if [ $docpipe_built -eq 1 ]; then
  echo "== docpipe test stage: the deployment tests (ctest -L deploy), beside the build; their output follows at the end"
  (cd "$test_build" && env "${sanitizers[@]}" ctest -L deploy --output-on-failure -j"$jobs" >deploy-tests.log 2>&1) &
  deploy_pid=$!
fi

# 3. The tests' code.
built=0
if [ $docpipe_built -eq 1 ]; then
  stage "build $test_build (unit_tests, e2e_tests, fuzz_targets)" \
    cmake --build "$test_build" -j"$jobs" --target unit_tests e2e_tests fuzz_targets && built=1
fi

# 4. Every other test. Leaks fail (LeakSanitizer) in the test binaries and in
# every docpipe they spawn.
if [ $built -eq 1 ]; then
  stage "every other test: unit, moto, e2e, layers, fuzz (ASan + UBSan)" bash -c "cd '$test_build' &&
    env ${sanitizers[*]} ctest -LE deploy ${ctest_args[*]}"
else
  failed+=("tests: not run, their build failed")
fi

if [ -n "$deploy_pid" ]; then
  echo "== docpipe test stage: the deployment tests (ctest -L deploy, run beside the build)"
  if wait "$deploy_pid"; then
    cat "$deploy_log"
  else
    cat "$deploy_log"
    echo "== docpipe test stage FAILED: the deployment tests" >&2
    failed+=("the deployment tests (ctest -L deploy)")
  fi
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "== docpipe: make test FAILED in ${#failed[@]} stage(s):" >&2
  printf '   - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "== docpipe: make test passed (every stage)"
