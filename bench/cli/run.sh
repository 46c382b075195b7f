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
#   - each also as CPU time (task-clock, the median of RUNS `perf stat` runs),
#     which other work on a shared machine changes far less than wall time.
# Targets (issue 13): status <= 3x the sqlite3 query; search <= 40 ms at 10k
# chunks; both printed as wall and as CPU figures, with the load average.
# Usage: bench/cli/run.sh [BUILD_DIR] [RUNS]   (Release build; needs sqlite3;
#        CPU figures need perf, Debian package linux-perf, and
#        kernel.perf_event_paranoid <= 2)
# BENCH_CLI_WORKSPACE=DIR keeps the workspace in DIR (made once, reused by the
# next run) instead of ingesting it again into a temporary folder.
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
if [ -n "${BENCH_CLI_WORKSPACE:-}" ]; then
  mkdir -p "$BENCH_CLI_WORKSPACE"
  tmp_docs="$BENCH_CLI_WORKSPACE"
else
  tmp_docs="$tmp"
fi
ws="$tmp_docs/ws"
# Copies of the manuals under new folders (new source keys, so new
# documents) until the index holds 10,000 chunks.
chunks=0
[ -f "$ws/index/index.db" ] && chunks=$(sqlite3 "$ws/index/index.db" 'select count(*) from chunks')
copy=0
while [ "$chunks" -lt 10000 ]; do
  copy=$((copy + 1))
  [ -d "$tmp_docs/docs/copy$copy" ] && continue
  mkdir -p "$tmp_docs/docs/copy$copy"
  for f in /usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf; do
    [ -f "$f" ] && ln -s "$f" "$tmp_docs/docs/copy$copy/$(basename "$f")"
  done
  "$bin" --workspace "$ws" ingest --json "$tmp_docs/docs/copy$copy" > "$tmp/ingest.json"
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

# Median CPU time (task-clock) in milliseconds of `runs` runs of the
# command, each under its own `perf stat`; "n/a" without a usable perf.
have_perf=0
perf stat -x, -e task-clock true 2>/dev/null && have_perf=1
median_cpu_ms() {
  [ "$have_perf" = 1 ] || { printf 'n/a'; return; }
  local samples=()
  for ((i = 0; i < runs; i++)); do
    samples+=("$(perf stat -x, -e task-clock "$@" 2>&1 >/dev/null | awk -F, '$3 == "task-clock" { print $1 }')")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

echo "# bench/cli $(date -u +%F) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workspace: $docs documents, $chunks chunks; median of $runs runs, whole process"
query="how do I solve a linear program with the simplex method"
names=("sqlite3 docpipe.db 'select count(*) ...'" "docpipe --version" "docpipe status" "docpipe status --json"
       "docpipe search (hybrid)" "docpipe search --mode vector" "docpipe search --mode keyword")
# One string per command, each word quoted for `eval "set -- ..."`.
qb=$(printf %q "$bin")
qw=$(printf %q "$ws")
qq=$(printf %q "$query")
commands=("sqlite3 $(printf %q "$ws/docpipe.db") 'select count(*) from control'"
          "$qb --version"
          "$qb --workspace $qw status"
          "$qb --workspace $qw status --json"
          "$qb --workspace $qw search $qq"
          "$qb --workspace $qw search $qq --mode vector"
          "$qb --workspace $qw search $qq --mode keyword")
wall=()
cpu=()
for c in "${commands[@]}"; do
  eval "set -- $c"
  wall+=("$(median_ms "$@")")
  cpu+=("$(median_cpu_ms "$@")")
done
printf '%-44s %12s %12s\n' command "wall ms" "CPU ms"
for i in "${!names[@]}"; do
  printf '%-44s %12s %12s\n' "${names[$i]}" "${wall[$i]}" "${cpu[$i]}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The targets, as wall time (what the issue states; meaningful on an idle
# machine) and as CPU time (the part of it this process spends computing).
report() {  # KIND STATUS SQLITE SEARCH
  awk -v k="$1" -v s="$2" -v q="$3" -v h="$4" -v c="$chunks" 'BEGIN {
    if (s == "n/a") { printf "%s: n/a (perf missing)\n", k; exit }
    printf "%s: status / sqlite3 = %.2fx (target <= 3x): %s\n", k, s / q, s / q <= 3 ? "met" : "NOT met"
    printf "%s: search (hybrid) at %d chunks = %.1f ms (target <= 40 ms): %s\n", k, c, h, h <= 40 ? "met" : "NOT met"
  }'
}
report wall "${wall[2]}" "${wall[0]}" "${wall[4]}"
report CPU "${cpu[2]}" "${cpu[0]}" "${cpu[4]}"
