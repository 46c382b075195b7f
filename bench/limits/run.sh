#!/usr/bin/env bash
# Memory and time of `docpipe ingest` on the hostile inputs of issue 17, by
# /usr/bin/time -v (peak RSS of the whole process, one worker thread):
#   1. the 104 KB-class PDF of 300 pages x 20,000 words (hostile_pdf.py; here
#      about 68 KB for 38 M characters): default limits;
#   2. the same with the expansion limit raised (it then meets max_chars);
#   3. a 200 MB .txt: default limits (max_chars stops it, streamed);
#   4. a document just inside every default limit (140 of those pages,
#      17.9 M characters, expansion limit raised): the whole pipeline.
# Target (issue 17): every run under 300 MB peak RSS; over-limit documents
# FAILED naming the limit. Before issue 17: 822 MB (1), 5.0 GB and 32 min (3).
# Usage: bench/limits/run.sh [BUILD_DIR]   (Release build; needs python3, GNU time)
set -euo pipefail
build=${1:-build}
bin="$build/docpipe"
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin" ] || { echo "run 'make build' first ($bin missing)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package 'time')" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$here/hostile_pdf.py" "$tmp/hostile-300.pdf" 300 20000
python3 "$here/hostile_pdf.py" "$tmp/inside-140.pdf" 140 20000
python3 - "$tmp/big.txt" <<'PY'
import random, sys
rng = random.Random(1)
words = ["river", "stone", "granite", "valley", "forest", "ocean", "thunder", "meadow", "harbor", "lantern"]
para = lambda: " ".join(rng.choice(words) for _ in range(120))
block = "\n\n".join(para() for _ in range(200)) + "\n\n"
with open(sys.argv[1], "w") as f:
    while f.tell() < 200 * 1024 * 1024:
        f.write(block)
PY
# Text with no word seams: 2 MB of one bracket, 500,000 "[a](" and
# 400,000 "[x] " (each run is cut by code points; the first was quadratic).
python3 -c 'import sys; open(sys.argv[1], "w").write("# Brackets\n\n" + "[" * 2000000 + "\n\n" + "[a](" * 500000 + "\n\n" + "[x] " * 400000 + "\n")' "$tmp/brackets.md"

echo "# bench/limits $(date -u +%F) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %12s %9s %8s  %s\n' input "size" "peak RSS MB" "wall s" "CPU s" "outcome"
run() {
  local label=$1 file=$2; shift 2
  local ws="$tmp/ws-$RANDOM"
  /usr/bin/time -v -o "$tmp/time.txt" "$bin" --workspace "$ws" "$@" ingest --workers 1 --json "$file" \
    > "$tmp/out.json" 2> "$tmp/err.txt" || true
  local rss wall cpu status
  rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$tmp/time.txt")
  wall=$(awk -F': ' '/Elapsed \(wall/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$tmp/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$tmp/time.txt")
  status=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["documents"][0]; print(d["status"], d.get("chunks", ""), "chunks", (d.get("error") or "")[:150])' "$tmp/out.json" 2>/dev/null || echo "no summary: $(head -c 300 "$tmp/err.txt")")
  printf '%-44s %10s %12s %9s %8s  %s\n' "$label" "$(stat -c %s "$file")" "$rss" "$wall" "$cpu" "$status"
  rm -rf "$ws"
}
run "hostile PDF, 300 p x 20k words (defaults)" "$tmp/hostile-300.pdf"
run "same, --max-expansion-ratio 1000" "$tmp/hostile-300.pdf" --max-expansion-ratio 1000
run "200 MB .txt (defaults)" "$tmp/big.txt"
run "140 p x 20k words, inside the limits" "$tmp/inside-140.pdf" --max-expansion-ratio 1000
run "5.6 MB of brackets, no word seams (defaults)" "$tmp/brackets.md"
