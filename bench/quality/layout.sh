#!/usr/bin/env bash
# Layout quality on about 200 real PDFs (layout_corpus.sh): share of chunks
# carrying running header/footer lines, heading precision/recall against the
# PDFs' outlines (also with the outline ignored: the font/numbering fallback),
# tables found, word recall against pdftotext (raw, and without pdftotext's
# own headers/footers). Figures: docs/benchmarks.md ("Layout").
# Usage: bench/quality/layout.sh [BUILD_DIR] [COUNT]   (Release build; scripts/install-deps.sh bench)
set -euo pipefail
BUILD=${1:-build}
COUNT=${2:-200}
BIN=$BUILD/bench/quality/layout_quality
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$BIN" ] || { echo "build $BIN first: cmake --build $BUILD --target layout_quality" >&2; exit 1; }
"$HERE/layout_corpus.sh" "$TMP/pdfs" "$COUNT" > "$TMP/corpus.txt"
echo "corpus: $(wc -l < "$TMP/corpus.txt") PDFs"
echo "== with outlines"
xargs -a "$TMP/corpus.txt" -d '\n' "$BIN" > "$TMP/with.tsv" || true
sed -n '/^TOTAL/,$p' "$TMP/with.tsv"
echo "== outlines ignored (font, weight and numbering only)"
xargs -a "$TMP/corpus.txt" -d '\n' "$BIN" --no-outline > "$TMP/without.tsv" || true
sed -n '/^TOTAL/,$p' "$TMP/without.tsv" | grep -E "^outline_documents"
