#!/usr/bin/env bash
# End-to-end pipeline throughput: documents/s and pages/s of `docpipe ingest`
# (all five stages) on a folder of real manuals, with 1 and 2 workers, plus
# peak RSS. Each configuration runs 3 times into a fresh workspace; the median
# run is reported.
# Usage: bench/pipeline/run.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
bin="$build/docpipe"
[ -x "$bin" ] || { echo "run 'make build' first ($bin missing)" >&2; exit 1; }
if grep -qx 'DOCPIPE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "$build is a sanitizer build (make test's): benchmark a Release build (make build)" >&2
  exit 1
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/manuals"
for f in /usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf; do
  [ -f "$f" ] && ln -s "$f" "$tmp/manuals/$(basename "$f")"
done
echo "corpus: $(ls "$tmp/manuals" | wc -l) PDFs from glpk-doc and libtasn1-doc; $(nproc) cores; $(date -u +%F)"
printf '%-8s %8s %8s %10s %10s %12s\n' workers seconds docs pages/s docs/s peak_rss_MB
for workers in 1 2; do
  rows=()
  for run in 1 2 3; do
    ws="$tmp/ws-$workers-$run"
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" --workspace "$ws" ingest --workers "$workers" --json "$tmp/manuals" > "$tmp/out.json"
    read -r secs rss_kb < "$tmp/time"
    docs=$(grep -c '"status": "COMPLETED"' "$tmp/out.json")
    pages=$(sed -n 's/^  "pages": \([0-9]*\),*$/\1/p' "$tmp/out.json")
    rows+=("$secs $docs $pages $rss_kb")
  done
  median=$(printf '%s\n' "${rows[@]}" | sort -n | sed -n 2p)
  read -r secs docs pages rss_kb <<< "$median"
  awk -v w="$workers" -v s="$secs" -v d="$docs" -v p="$pages" -v r="$rss_kb" \
    'BEGIN { printf "%-8s %8.2f %8d %10.1f %10.2f %12.1f\n", w, s, d, p / s, d / s, r / 1024 }'
done
