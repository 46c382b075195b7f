#!/usr/bin/env bash
# Query latency (p50/p95) of the embedded index in hybrid, vector and keyword
# modes at k=10, on 10k and 100k synthetic 512-d chunks built in a temp dir.
# Usage: bench/search/run.sh [BUILD_DIR] [extra bench_search flags...]
#        (build first with -DCMAKE_BUILD_TYPE=Release)
set -euo pipefail
BUILD=${1:-build}
shift || true
BIN=$BUILD/bench/search/bench_search
echo "# bench_search $(date -u +%Y-%m-%d) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores"
"$BIN" --sizes 10000,100000 --dim 512 --queries 300 --k 10 "$@"
