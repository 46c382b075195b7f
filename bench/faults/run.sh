#!/usr/bin/env bash
# Issue 17's fault run at full size: 200 documents through the AWS shape with
# moto, OpenAI, Comprehend and Pinecone each behind the fault-injecting proxy
# (tests/support/fault_proxy.mjs: 20 % of requests slowed, reset before or
# after the peer acted, 5xx, truncated or throttled, fixed seeds). Nothing may
# be lost, no stage may run twice, both queues must end empty. make test runs
# the same test with 20 documents (e2e: AwsPipelineTest.DocumentsThroughFaultyPeers...).
# Usage: bench/faults/run.sh [BUILD_DIR] [DOCUMENTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
documents=${2:-200}
[ -x "$build/e2e_tests" ] || { echo "bench/faults: $build/e2e_tests is missing: make bench (or cmake --build $build --target e2e_tests docpipe)" >&2; exit 1; }
export PATH="$root/.tools/venv/bin:$root/.tools/node/bin:$PATH"
echo "== $documents documents through the fault proxies"
DOCPIPE_FAULT_DOCUMENTS=$documents /usr/bin/time -f 'bench/faults: %U s user, %S s system, %e s wall (the test process and its children)' \
  "$build/e2e_tests" --gtest_filter='AwsPipelineTest.DocumentsThroughFaultyPeersAreAllProcessedOnce'
