#!/usr/bin/env bash
# MB/s of docpipe's exact BPE tokenizer vs js-tiktoken and the tiktoken npm
# package (WASM) on the same manual text (pdftotext), single-threaded, plus
# docpipe with 2 threads over many ~2 KB chunks. Load time is excluded.
# Usage: bench/tokenize/run.sh [BUILD_DIR] [SECONDS]   (Release build; node_modules from the build's npm ci)
set -euo pipefail
BUILD=${1:-build}
SECONDS_PER=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$BUILD/bench/tokenize/bench_tokenize
DOCS=(/usr/share/doc/glpk-doc/glpk.pdf /usr/share/doc/glpk-doc/gmpl.pdf /usr/share/doc/glpk-doc/graphs.pdf
      /usr/share/doc/glpk-doc/cnfsat.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for f in "${DOCS[@]}"; do pdftotext -q -enc UTF-8 "$f" - >> "$TMP/manuals.txt"; done
echo "text: $(wc -c < "$TMP/manuals.txt") bytes of pdftotext output from ${#DOCS[@]} manuals"
for enc in cl100k_base o200k_base; do
  "$BIN" "$enc" "$TMP/manuals.txt" 2 "$SECONDS_PER" | tee "$TMP/docpipe.$enc"
  node "$HERE/peers.mjs" "$enc" "$TMP/manuals.txt" "$SECONDS_PER" | tee "$TMP/peers.$enc"
  mb() { grep "$1" "$2" | sed -E 's/.*: ([0-9.]+) MB\/s.*/\1/'; }
  d=$(mb "single-thread" "$TMP/docpipe.$enc")
  js=$(mb "^js-tiktoken" "$TMP/peers.$enc")
  wasm=$(mb "^tiktoken-wasm" "$TMP/peers.$enc")
  awk -v d="$d" -v js="$js" -v w="$wasm" -v e="$enc" \
    'BEGIN{printf "%s: docpipe/js-tiktoken = %.1fx (target >= 10), docpipe/tiktoken-wasm = %.1fx (target >= 3)\n", e, d/js, d/w}'
done
