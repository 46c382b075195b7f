#!/usr/bin/env bash
# One big manual at full speed: R's 2,415-page reference manual
# (fullrefman.pdf, Debian package r-doc-pdf) through docpipe beside
# `pdftotext` and `mutool draw -F txt`, all in the same run, rounds
# interleaved so that a change in the machine's load hits every tool alike.
#   extract:  bench_extract (docpipe's PDF extractor, Markdown built, nothing
#             written) vs mutool draw -F txt and pdftotext, whole processes;
#   pipeline: `docpipe ingest --workers 1` (all five stages, fresh workspace)
#             vs pdftotext's extraction alone.
# Prints the median of ROUNDS (default 3) rounds per tool, peak RSS, the
# stage times of the median ingest (audit trail), and the load average.
# Targets (issue 17): extraction >= 1.0x mutool; whole pipeline >= 2x
# pdftotext's speed; peak RSS <= 200 MB.
# Usage: bench/pipeline/big_manual.sh [BUILD_DIR]   (ROUNDS=N, DOCPIPE_DOCUMENT_THREADS=N)
set -euo pipefail
build=${1:-build}
rounds=${ROUNDS:-3}
pdf=/usr/share/R/doc/manual/fullrefman.pdf
docpipe="$build/docpipe"
extract="$build/bench/extract/bench_extract"
for f in "$docpipe" "$extract"; do
  [ -x "$f" ] || { echo "$f missing: cmake --build $build --target docpipe bench_extract" >&2; exit 1; }
done
[ -f "$pdf" ] || { echo "$pdf missing: scripts/install-deps.sh bench (apt-get install r-doc-pdf)" >&2; exit 1; }
for tool in pdftotext mutool /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool missing: scripts/install-deps.sh bench" >&2; exit 1; }
done
threads=${DOCPIPE_DOCUMENT_THREADS:-0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in"
ln -s "$pdf" "$tmp/in/fullrefman.pdf"
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ { print $2 }')

# time_of NAME CMD...: appends "seconds rss_kb cpu_seconds" (user + system) to $tmp/NAME.
time_of() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M %U %S' -o "$tmp/t" "$@" > "$tmp/out.$name" 2> "$tmp/err.$name" ||
    { echo "$name failed:" >&2; tail -5 "$tmp/err.$name" >&2; exit 1; }
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$tmp/t" >> "$tmp/$name"
}

echo "# big manual: $pdf ($pages pages, $(du -h "$pdf" | cut -f1)); $(nproc) cores; document_threads=$threads (0 = cores available)"
echo "# $(date -u +%FT%TZ); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  time_of pdftotext pdftotext "$pdf" /dev/null
  time_of mutool mutool draw -q -F txt -o /dev/null "$pdf"
  time_of extract "$extract" --threads "$threads" "$pdf"
  ws="$tmp/ws-$round"
  time_of ingest env DOCPIPE_DOCUMENT_THREADS="$threads" "$docpipe" --workspace "$ws" ingest --workers 1 --json "$tmp/in"
  grep -q '"status": "COMPLETED"' "$tmp/out.ingest" || { echo "ingest did not complete:" >&2; cat "$tmp/out.ingest" >&2; exit 1; }
  id=$(sed -n 's/.*"document_id": "\([^"]*\)".*/\1/p' "$tmp/out.ingest" | head -1)
  "$docpipe" --workspace "$ws" audit "$id" | awk -v r="$round" '$3 == "STAGE_COMPLETED" { sub("ms", "", $5); printf "%s %s %s\n", r, $4, $5 }' >> "$tmp/stages"
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n "$tmp/$1" | sed -n "$(( (rounds + 1) / 2 ))p"; }
# CPU-s (user + system) of the median round: on a shared machine wall time
# follows the load, CPU time much less.
printf '%-40s %9s %10s %12s %8s\n' tool seconds pages/s peak_rss_MB CPU-s
row() {
  local secs rss cpu
  read -r secs rss cpu <<< "$(median "$1")"
  awk -v n="$2" -v s="$secs" -v r="$rss" -v p="$pages" -v c="$cpu" 'BEGIN { printf "%-40s %9.2f %10.0f %12.1f %8.2f\n", n, s, p / s, r / 1024, c }'
}
row pdftotext "pdftotext"
row mutool "mutool draw -F txt"
row extract "docpipe extract (bench_extract)"
row ingest "docpipe ingest (5 stages, --workers 1)"
read -r pdftotext_s _ <<< "$(median pdftotext)"
read -r mutool_s _ <<< "$(median mutool)"
read -r extract_s extract_rss <<< "$(median extract)"
read -r ingest_s ingest_rss <<< "$(median ingest)"
echo "# stage times of each round (ms):"
awk '{ t[$1] = t[$1] sprintf(" %s=%s", $2, $3) } END { for (r in t) print "#   round " r ":" t[r] }' "$tmp/stages" | sort
awk -v m="$mutool_s" -v e="$extract_s" -v p="$pdftotext_s" -v i="$ingest_s" -v er="$extract_rss" -v ir="$ingest_rss" 'BEGIN {
  printf "extraction vs mutool: %.2fx (target >= 1.0)\n", m / e
  printf "whole pipeline vs pdftotext: %.2fx (target >= 2.0)\n", p / i
  printf "peak RSS: extract %.1f MB, ingest %.1f MB (target <= 200)\n", er / 1024, ir / 1024
}'
