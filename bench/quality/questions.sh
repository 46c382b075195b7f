#!/usr/bin/env bash
# Retrieval on real documents: the questions of questions.tsv (written by
# reading the documents) asked of a workspace holding their documents. A
# question is answered at rank r when the r-th result is a chunk of its
# document whose pages overlap the pages that answer it. Prints each
# question's rank per search mode, then per mode: answered in the top 1 and
# top 5, and the mean reciprocal rank over the top 5.
# Usage: bench/quality/questions.sh [BUILD_DIR or docpipe binary] [WORKSPACE]
#   WORKSPACE is kept when given (and reused when it already holds the
#   documents); by default a temporary one is removed at the end.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
target=${1:-build}
bin=$target
[ -d "$target" ] && bin=$target/docpipe
[ -x "$bin" ] || { echo "no docpipe at $bin: cmake --build build --target docpipe" >&2; exit 1; }
ws=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$ws" ] || ws=$tmp/ws
mkdir -p "$tmp/in"
grep -v '^#' "$HERE/questions.tsv" | cut -f2 | sort -u | while read -r f; do
  [ -f "$f" ] || { echo "missing $f (scripts/install-deps.sh bench installs it)" >&2; exit 1; }
  ln -s "$f" "$tmp/in/$(basename "$f")"
done
"$bin" --workspace "$ws" ingest "$tmp/in" >"$tmp/ingest.log" 2>&1 || { cat "$tmp/ingest.log" >&2; exit 1; }
python3 - "$bin" "$ws" "$HERE/questions.tsv" <<'PY'
import json, os, subprocess, sys
binary, ws, table = sys.argv[1:4]
modes = ["hybrid", "keyword", "vector"]
rows = [l.rstrip("\n").split("\t") for l in open(table) if l.strip() and not l.startswith("#")]
ranks = {m: [] for m in modes}
print("question".ljust(18), " ".join(m.rjust(7) for m in modes))
for qid, doc, pages, question in rows:
    want = {int(p) for p in pages.split(",")}
    name = os.path.basename(doc)
    line = []
    for m in modes:
        out = subprocess.run([binary, "--workspace", ws, "search", question, "-k", "5", "--mode", m, "--json"],
                             capture_output=True, text=True, check=True).stdout
        rank = 0
        for r in json.loads(out):
            span = set(range(r["page_start"], r["page_end"] + 1))
            if os.path.basename(r["source_key"]) == name and span & want:
                rank = r["rank"]
                break
        ranks[m].append(rank)
        line.append(str(rank or "-").rjust(7))
    print(qid.ljust(18), " ".join(line))
n = len(rows)
print()
for m in modes:
    r = ranks[m]
    top1 = sum(1 for x in r if x == 1)
    top5 = sum(1 for x in r if x)
    mrr = sum(1.0 / x for x in r if x) / n
    print(f"{m:8} top 1: {top1}/{n}  top 5: {top5}/{n}  MRR@5: {mrr:.3f}")
PY
