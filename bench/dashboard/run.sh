#!/usr/bin/env bash
# The dashboard at 10,000 documents: API calls and page loads (bench/dashboard/README.md).
# Usage: bench/dashboard/run.sh [BUILD_DIR] [DOCUMENTS] [REPEATS]
#        (build first: docpipe and make_dashboard_workspace, Release)
set -euo pipefail
BUILD=${1:-build}
N=${2:-10000}
REPEATS=${3:-15}
here=$(cd "$(dirname "$0")" && pwd)
# The node scripts/install-deps.sh put in .tools/node (Debian's is too old) comes first.
node=$(command -v "$here/../../.tools/node/bin/node" || command -v node)
work=$(mktemp -d)
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
serve_pid=
echo "# bench/dashboard $(date -u +%Y-%m-%d) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores"
start=$(date +%s%N)
"$BUILD/bench/dashboard/make_dashboard_workspace" --workspace "$work/ws" --documents "$N"
echo "# workspace of $N documents built in $(( ($(date +%s%N) - start) / 1000000 )) ms"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=bench-dashboard-token
DOCPIPE_API_TOKEN=$token "$BUILD/docpipe" --workspace "$work/ws" serve --port "$port" --no-workers 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
"$node" "$here/page_loads.mjs" "http://127.0.0.1:$port" "$token" "$REPEATS"
