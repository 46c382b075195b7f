#!/usr/bin/env bash
# `make test`: every test, in stages that all run even when one fails; the
# failures of every stage are reported at the end, and the exit status is
# non-zero if any stage failed.
#   1. the Release binary and the end-to-end tests        (build/)
#   2. the unit tests under ASan + UBSan, -O0 without debug info: ASan at -O1
#      compiles 2-3 times slower, the tests run about as fast (build-asan/)
#   3. the unit tests (ctest -L unit in build-asan/)
#   4. everything else: end-to-end, deployment (ctest -LE unit in build/)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=${JOBS:-$(nproc)}
build=${BUILD:-build}
asan_build=${ASAN_BUILD:-build-asan}
ctest_args=(--output-on-failure -j2)

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

release_ok=0
stage "build $build (Release: docpipe, e2e_tests)" bash -c "
  cmake -S . -B '$build' -DCMAKE_BUILD_TYPE=Release -DDOCPIPE_TESTS=ON >/dev/null &&
  cmake --build '$build' -j$jobs --target docpipe e2e_tests" && release_ok=1
asan_ok=0
stage "build $asan_build (ASan + UBSan: unit_tests)" bash -c "
  cmake -S . -B '$asan_build' -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS='-O0 -g0' -DDOCPIPE_SANITIZE=ON \
        -DDOCPIPE_UNIT_TESTS_ONLY=ON -DDOCPIPE_TESTS=ON >/dev/null &&
  cmake --build '$asan_build' -j$jobs --target unit_tests" && asan_ok=1

if [ $asan_ok -eq 1 ]; then
  stage "unit tests (ASan + UBSan)" bash -c "cd '$asan_build' &&
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest ${ctest_args[*]} -L unit"
else
  failed+=("unit tests: not run, their build failed")
fi
if [ $release_ok -eq 1 ]; then
  # unit_tests is not built there, so gtest discovery stands in unit_tests_NOT_BUILT for it.
  stage "end-to-end and deployment tests (Release)" bash -c "cd '$build' &&
    ctest ${ctest_args[*]} -LE unit -E '^unit_tests_NOT_BUILT\$'"
else
  failed+=("end-to-end and deployment tests: not run, their build failed")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "== docpipe: make test FAILED in ${#failed[@]} stage(s):" >&2
  printf '   - %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "== docpipe: make test passed (every stage)"
