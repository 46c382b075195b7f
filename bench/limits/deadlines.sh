#!/usr/bin/env bash
# How long after its deadline each stage returns (issue 17: within 1 s of the
# deadline, remote calls included). Runs the e2e tests DeadlineOverrunTest.*
# (tests/e2e/deadline_test.cpp) on a Release build: each drives `docpipe
# ingest` into one stage's deadline, with a hostile input (extract: the
# hostile PDF), a stage slowed so that its real work straddles the deadline
# (chunk, enrich, embed, load: local shape), or a peer that hangs (embed:
# OpenAI fake that never answers; enrich: Comprehend fake that never answers;
# load: Pinecone fake whose upserts take 6 s), and reads the overrun from the
# audit trail (STAGE_FAILED's duration minus the stage limit). A deadline gets
# one retry, so each stage shows two attempts before the document is FAILED.
# The tests come from the sanitizer build (their fakes run in the test
# process); the docpipe they drive is the Release one, named by
# DOCPIPE_DEADLINE_BINARY, so the overruns are the Release binary's.
# Usage: bench/limits/deadlines.sh [RELEASE_BUILD_DIR] [TEST_BUILD_DIR]
#   (defaults build and build-asan: targets docpipe, and e2e_tests)
set -euo pipefail
build=${1:-build}
tests=${2:-build-asan}
if [ ! -x "$build/docpipe" ] || [ ! -x "$tests/e2e_tests" ]; then
  echo "needs $build/docpipe (Release) and $tests/e2e_tests (cmake --build $tests --target e2e_tests)" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "# bench/limits/deadlines $(date -u +%F) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
DOCPIPE_DEADLINE_BINARY=$(realpath "$build/docpipe") "$tests/e2e_tests" --gtest_filter='DeadlineOverrunTest.*' \
  > "$log" 2>&1 || status=$?
printf '%-8s %7s %8s %12s  %s\n' stage attempt "limit s" "overrun ms" "how"
awk '/^deadline-overrun / {
  line = $0; sub(/^deadline-overrun /, "", line);
  how = line; sub(/.* how=/, "", how);
  n = split(line, kv, " "); delete f;
  for (i = 1; i <= n; i++) { split(kv[i], p, "="); f[p[1]] = p[2] }
  printf "%-8s %7s %8s %12s  %s\n", f["stage"], f["attempt"], f["limit_s"], f["overrun_ms"], how
}' "$log"
grep -E '^\[  (PASSED|FAILED) ' "$log" || true
grep -E '^\[  FAILED  \]' "$log" | sed 's/^/  /' || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
