#!/usr/bin/env bash
# Whole-process latency of the CLI commands people run most, against sqlite3
# on the same database in the same run: the median of RUNS runs of each,
# timed by this shell around the process (start, configuration, opening what
# the command needs, the work, exit).
#   - a workspace of real manuals (glpk-doc, libtasn1-doc), ingested again
#     under new folders until the index holds 10,000 chunks;
#   - `docpipe status` against `sqlite3 docpipe.db 'select count(*) from control'`;
#   - `docpipe search` in each mode at that size, and `docpipe --version` (the
#     process alone) for reference.
# Targets (issue 13): status <= 3x the sqlite3 query; search <= 40 ms at 10k chunks.
# Usage: bench/cli/run.sh [BUILD_DIR] [RUNS]   (Release build; needs sqlite3)
set -euo pipefail
build=${1:-build}
runs=${2:-21}
bin="$build/docpipe"
[ -x "$bin" ] || { echo "run 'make build' first ($bin missing)" >&2; exit 1; }
if grep -qx 'DOCPIPE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "$build is a sanitizer build (make test's): benchmark a Release build (make build)" >&2
  exit 1
fi
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (Debian package 'sqlite3')" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/ws"
# Copies of the manuals under new folders (new source keys, so new
# documents) until the index holds 10,000 chunks.
chunks=0
copy=0
while [ "$chunks" -lt 10000 ]; do
  copy=$((copy + 1))
  mkdir -p "$tmp/docs/copy$copy"
  for f in /usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf; do
    [ -f "$f" ] && ln -s "$f" "$tmp/docs/copy$copy/$(basename "$f")"
  done
  "$bin" --workspace "$ws" ingest --json "$tmp/docs/copy$copy" > "$tmp/ingest.json"
  chunks=$(sqlite3 "$ws/index/index.db" 'select count(*) from chunks')
done
docs=$(sqlite3 "$ws/docpipe.db" 'select count(*) from control')

# Median wall time in milliseconds of `runs` runs of the command.
median_ms() {
  local samples=() t0 t1
  "$@" > /dev/null  # warm the page cache
  for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    "$@" > /dev/null
    t1=$EPOCHREALTIME
    samples+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

echo "# bench/cli $(date -u +%F) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workspace: $docs documents, $chunks chunks; median of $runs runs, whole process"
sqlite=$(median_ms sqlite3 "$ws/docpipe.db" 'select count(*) from control')
version=$(median_ms "$bin" --version)
status=$(median_ms "$bin" --workspace "$ws" status)
status_json=$(median_ms "$bin" --workspace "$ws" status --json)
query="how do I solve a linear program with the simplex method"
hybrid=$(median_ms "$bin" --workspace "$ws" search "$query")
vector=$(median_ms "$bin" --workspace "$ws" search "$query" --mode vector)
keyword=$(median_ms "$bin" --workspace "$ws" search "$query" --mode keyword)
printf '%-44s %9s\n' command "median ms"
printf '%-44s %9s\n' "sqlite3 docpipe.db 'select count(*) ...'" "$sqlite"
printf '%-44s %9s\n' "docpipe --version" "$version"
printf '%-44s %9s\n' "docpipe status" "$status"
printf '%-44s %9s\n' "docpipe status --json" "$status_json"
printf '%-44s %9s\n' "docpipe search (hybrid)" "$hybrid"
printf '%-44s %9s\n' "docpipe search --mode vector" "$vector"
printf '%-44s %9s\n' "docpipe search --mode keyword" "$keyword"
awk -v s="$status" -v q="$sqlite" -v h="$hybrid" -v c="$chunks" 'BEGIN {
  printf "status / sqlite3 = %.2fx (target <= 3x): %s\n", s / q, s / q <= 3 ? "met" : "NOT met"
  printf "search (hybrid) at %d chunks = %.1f ms (target <= 40 ms): %s\n", c, h, h <= 40 ? "met" : "NOT met"
}'
