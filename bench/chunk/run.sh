#!/usr/bin/env bash
# Chunking speed and exactness: docpipe's chunker with the exact tokenizer
# (cl100k_base, default options) on real manuals, one thread, median of 3
# rounds of CPU time per document; then the same documents with every tally
# recounting the whole text (the reference). The chunks' SHA-256 must be the
# same both ways, or the script fails.
# Usage: bench/chunk/run.sh [BUILD_DIR] [PDF...]
set -euo pipefail
build=${1:-build}
shift || true
bin="$build/bench/chunk/bench_chunk"
[ -x "$bin" ] || { echo "$bin missing: cmake --build $build --target bench_chunk" >&2; exit 1; }
if [ $# -eq 0 ]; then
  set -- /usr/share/R/doc/manual/fullrefman.pdf /usr/share/doc/glpk-doc/glpk.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf
fi
for f in "$@"; do
  [ -f "$f" ] || { echo "$f missing (scripts/install-deps.sh bench installs r-doc-pdf, glpk-doc, libtasn1-doc)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" --rounds 3 "$@" 2>/dev/null | tee "$tmp/tally"
echo "# the reference: every count over the whole text"
"$bin" --rounds 1 --recount "$@" 2>/dev/null | tee "$tmp/recount"
# file, chunks and hash of each line (the fields are padded: match by name)
fingerprint() { sed -E 's/^(\S+).*chunks= *([0-9]+).*sha256=([0-9a-f]+).*/\1 \2 \3/' "$1"; }
if ! diff <(fingerprint "$tmp/tally") <(fingerprint "$tmp/recount"); then
  echo "the chunks differ between the incremental tally and recounting" >&2
  exit 1
fi
echo "same chunks both ways (SHA-256 of ids, text, pages, token counts)"
