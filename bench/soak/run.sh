#!/usr/bin/env bash
# Issue 17's soak run: DOCUMENTS small reports through the AWS shape (moto,
# the OpenAI, Comprehend and Pinecone fakes, each behind the fault proxy
# tests/support/fault_proxy.mjs: 20 % of requests slowed, reset before or
# after the peer acted, 5xx, truncated or throttled, fixed seeds), worked by
# WORKERS `docpipe worker` processes while a killer SIGKILLs a random one
# every KILL_MIN_MS-KILL_MAX_MS (seeded) and starts a new one in its place.
# Worker slot 0 is never killed (its RSS over the whole run is the leak
# check). The checks (0 lost, 0 duplicated, queues and index exact, memory
# flat) are in the e2e test AwsPipelineTest.SoakWorkersKilledAtRandom...;
# make test runs it with 12 documents. Prints the report (JSON) and exits
# non-zero on any failure.
# Usage: bench/soak/run.sh [BUILD_DIR] [DOCUMENTS=1000]
# Environment: WORKERS (4), KILL_MIN_MS (5000), KILL_MAX_MS (20000), SEED (17),
#              TIMEOUT_SECONDS (7200), RSS_MARGIN (20 %), REPORT (file for the JSON),
#              LOG_DIR (the workers' logs, one file per worker life; REPORT without .json, plus .logs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
documents=${2:-1000}
[ -x "$build/e2e_tests" ] && [ -x "$build/docpipe" ] ||
  { echo "bench/soak: $build/e2e_tests or docpipe is missing: cmake --build $build --target e2e_tests docpipe" >&2; exit 1; }
export PATH="$root/.tools/venv/bin:$root/.tools/node/bin:$PATH"
report=${REPORT:-$(mktemp /tmp/docpipe-soak-XXXXXX.json)}
logs=${LOG_DIR:-${report%.json}.logs}
echo "== soak: $documents documents, ${WORKERS:-4} workers, a SIGKILL every ${KILL_MIN_MS:-5000}-${KILL_MAX_MS:-20000} ms (seed ${SEED:-17}); load: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
DOCPIPE_SOAK_DOCUMENTS=$documents DOCPIPE_SOAK_WORKERS=${WORKERS:-4} \
DOCPIPE_SOAK_KILL_MIN_MS=${KILL_MIN_MS:-5000} DOCPIPE_SOAK_KILL_MAX_MS=${KILL_MAX_MS:-20000} \
DOCPIPE_SOAK_SEED=${SEED:-17} DOCPIPE_SOAK_TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-7200} \
DOCPIPE_SOAK_RSS_MARGIN=${RSS_MARGIN:-20} DOCPIPE_SOAK_REPORT=$report DOCPIPE_SOAK_LOG_DIR=$logs \
  /usr/bin/time -f 'bench/soak: %U s user, %S s system, %e s wall (the test process and its children: moto, proxies, workers)' \
  "$build/e2e_tests" --gtest_filter='AwsPipelineTest.SoakWorkersKilledAtRandomUnderFaultsLoseAndRepeatNothing' || status=$?
if [ -s "$report" ]; then
  jq -r '"documents \(.documents): completed \(.completed), lost \(.lost), duplicated \(.duplicated), audit events missing \(.audit_missing), index mismatches \(.index_mismatches) (\(.vectors) vectors for \(.chunks) chunks)",
    "workers \(.worker_slots): \(.kills) kills, \(.unexpected_exits) exits on their own; \(.takeovers) lease takeovers, \(.retries) retries, \(.stage_restarts) stage restarts, \(.dead_letter_requeues) dead-letter requeues",
    (.lost_traces // {} | to_entries[] | "lost \(.key): \(.value.deliveries) deliveries and \(.value.claims) claims in the worker logs"),
    "wall \(.wall_seconds) s; load1 mean \(.load1.mean * 100 | round / 100), max \(.load1.max)",
    (.faults | to_entries[] | "proxy \(.key): \(.value.requests) requests; latency \(.value.latency), reset \(.value.reset), reset-after \(.value["reset-after"]), 5xx \(.value["5xx"]), truncate \(.value.truncate), throttle \(.value.throttle)"),
    "RSS (KB) per worker life: slot pid seconds killed samples first-tenth last-tenth peak",
    (.rss[] | "  \(.slot) \(.pid) \(.seconds) \(.killed) \(.samples) \(.first_tenth_kb) \(.last_tenth_kb) \(.peak_kb)")' "$report"
  echo "report: $report; the workers' logs: $logs"
fi
[ $status -eq 0 ] && echo "bench/soak: PASSED" || echo "bench/soak: FAILED (exit $status)" >&2
exit $status
