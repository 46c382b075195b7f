#!/usr/bin/env bash
# Search at scale (issue 17: 250,000 chunks; p50 under 20 ms in-process and
# under 60 ms whole-process for `docpipe search`, with bounded RSS).
#   1. bench_search --keep: builds SIZE synthetic chunks (see README) once as
#      the index of a docpipe workspace kept under DIR (reused by later runs),
#      then times Search in-process per mode (p50/p95) and prints its RSS;
#   2. `docpipe --workspace DIR/SIZE/ws search QUERY --mode M -k 10`, one
#      process per query, RUNS queries per mode (content words, and words drawn
#      from the text's Zipf distribution): wall p50/p95 (this shell's clock
#      around the process) of the query's first search in this run ("first":
#      index.db pages this query needs may not be in the page cache yet) and
#      of a repeat of it ("repeat": what a user sees searching again, the
#      pages cached), CPU p50/p95 (perf stat task-clock) and the largest
#      peak RSS (/usr/bin/time), with the load average.
# Usage: bench/search/at_scale.sh [BUILD_DIR] [SIZE] [RUNS]
#        QUERIES=N in-process queries per mode (default 300)
#        COMPARE=BIN another docpipe (e.g. a build of the base commit) run
#        alternately with BUILD_DIR's on each query, one row each
#        WHOLE_ONLY=1 skips the in-process part (step 1; the index must exist)
#        BENCH_SEARCH_DIR=DIR (default /var/tmp/docpipe-bench-search: ~1.1 GB
#        per 100k chunks; delete it by hand)
set -euo pipefail
build=${1:-build}
size=${2:-250000}
runs=${3:-31}
dir=${BENCH_SEARCH_DIR:-/var/tmp/docpipe-bench-search}
bin="$build/docpipe"
bench="$build/bench/search/bench_search"
for f in "$bin" "$bench"; do
  [ -x "$f" ] || { echo "$f missing: cmake --build $build --target docpipe bench_search" >&2; exit 1; }
done
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
have_perf=0
perf stat -x, -e task-clock true 2>/dev/null && have_perf=1
echo "# bench/search/at_scale.sh $(date -u +%FT%TZ) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$dir"
if [ "${WHOLE_ONLY:-0}" != 1 ]; then
  "$bench" --sizes "$size" --dim 512 --queries "${QUERIES:-300}" --k 10 --keep "$dir"
fi
bins=("$bin")
[ -n "${COMPARE:-}" ] && bins+=("$COMPARE")
ws="$dir/$size/ws"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for exe in "${bins[@]}"; do "$exe" --workspace "$ws" search "warm up" -k 10 > /dev/null; done  # the page cache

# pct FILE Q: the Q-quantile of the numbers in FILE (as bench_search does).
pct() { sort -n "$1" | awk -v q="$2" '{ v[NR] = $1 } END { i = int(q * NR) + 1; if (i > NR) i = NR; printf "%.1f", v[i] }'; }
echo "## whole process: docpipe search -k 10, $runs queries per row (one process each); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-38s %16s %16s %16s %12s\n' mode "first p50 / p95" "repeat p50 / p95" "CPU p50 / p95" "peak RSS MB"
for words in content zipf; do
  for mode in hybrid vector keyword; do
    for b in "${!bins[@]}"; do : > "$tmp/wall$b"; : > "$tmp/again$b"; : > "$tmp/cpu$b"; : > "$tmp/rss$b"; done
    head -n "$runs" "$dir/$size/queries-$words.txt" > "$tmp/queries"
    n=0
    while IFS= read -r q; do
      n=$((n + 1))
      order=("${!bins[@]}")
      [ $((n % 2)) = 0 ] && [ "${#bins[@]}" = 2 ] && order=(1 0)  # alternate which binary goes first
      for b in "${order[@]}"; do
        exe=${bins[$b]}
        t0=$EPOCHREALTIME
        "$exe" --workspace "$ws" search "$q" --mode "$mode" -k 10 > /dev/null
        t1=$EPOCHREALTIME
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >> "$tmp/wall$b"
        /usr/bin/time -f '%M' -o "$tmp/t" "$exe" --workspace "$ws" search "$q" --mode "$mode" -k 10 > /dev/null
        cat "$tmp/t" >> "$tmp/rss$b"
        if [ "$have_perf" = 1 ]; then
          perf stat -x, -e task-clock "$exe" --workspace "$ws" search "$q" --mode "$mode" -k 10 2>&1 >/dev/null |
            awk -F, '$3 == "task-clock" { print $1 }' >> "$tmp/cpu$b"
        fi
        t0=$EPOCHREALTIME
        "$exe" --workspace "$ws" search "$q" --mode "$mode" -k 10 > /dev/null
        t1=$EPOCHREALTIME
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >> "$tmp/again$b"
      done
    done < "$tmp/queries"
    for b in "${!bins[@]}"; do
      cpu=n/a
      [ "$have_perf" = 1 ] && cpu="$(pct "$tmp/cpu$b" 0.5) / $(pct "$tmp/cpu$b" 0.95)"
      rss=$(sort -n "$tmp/rss$b" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }')
      label="$mode ($words words)"
      [ "${#bins[@]}" = 2 ] && label="$label $([ "$b" = 0 ] && echo "[build]" || echo "[COMPARE]")"
      printf '%-38s %16s %16s %16s %12s\n' "$label" "$(pct "$tmp/wall$b" 0.5) / $(pct "$tmp/wall$b" 0.95)" \
        "$(pct "$tmp/again$b" 0.5) / $(pct "$tmp/again$b" 0.95)" "$cpu" "$rss"
    done
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg); index.db $(du -m "$ws/index/index.db" | cut -f1) MB, hnsw.bin $(du -m "$ws/index/hnsw.bin" | cut -f1) MB"
echo "# targets: in-process p50 < 20 ms, whole-process p50 < 60 ms (content-word rows), RSS bounded"
