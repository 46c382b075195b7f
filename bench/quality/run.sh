#!/usr/bin/env bash
# Extraction quality on real documents from Debian's packages, every figure
# of issue 14 in one run: word recall/precision against pdftotext, chunks
# carrying running headers/footers, bare page numbers left, headings against
# the PDFs' outlines (and with the outline ignored: the font/weight/numbering
# fallback), U+FFFD, tables, OCR character error rate, pages/s and peak RSS
# without and with OCR (bench process, and `docpipe ingest` of scanned PDFs
# with 2 OCR threads). Corpus: bench/quality/corpus.sh (COUNT PDFs: manuals,
# articles, slides, right-to-left, CJK/Thai) plus scanned copies of real
# pages; then retrieval on real documents (questions.sh). Figures:
# docs/benchmarks.md ("Extraction quality").
# Usage: [BASELINE=old/bench_extract] [QUALITY_DETAIL=N] bench/quality/run.sh [BUILD_DIR] [COUNT]
#   (Release build of docpipe, bench_quality, layout_quality and bench_extract;
#    scripts/install-deps.sh bench)
set -euo pipefail
BUILD=${1:-build}
COUNT=${2:-200}
BIN=$BUILD/bench/quality/bench_quality
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for b in "$BIN" "$BUILD/bench/quality/layout_quality" "$BUILD/docpipe"; do
  [ -x "$b" ] || { echo "build $b first: cmake --build $BUILD --target docpipe bench_quality layout_quality" >&2; exit 1; }
done

"$HERE/corpus.sh" "$TMP/pdfs" "$COUNT" > "$TMP/categories.tsv"
mapfile -t files < <(cut -f2 "$TMP/categories.tsv")
T=/usr/share/doc/texlive-doc

# Scanned copies: real pages rendered at 300 dpi, as an image-only PDF, a
# multi-page TIFF and a PNG of the first page; their reference is the same
# pages' text layer. Body pages, plus contents pages (dot leaders) apart.
mkdir -p "$TMP/scan"
scans=()
scan_specs=("/usr/share/doc/glpk-doc/gmpl.pdf 12-14 gmpl" "/usr/share/doc/libtasn1-doc/libtasn1.pdf 8-10 libtasn1"
            "$T/latex/booktabs/booktabs.pdf 2-3 booktabs" "/usr/share/doc/glpk-doc/gmpl.pdf 5-6 gmpl-contents")
for spec in "${scan_specs[@]}"; do
  set -- $spec
  base=$3
  qpdf --empty --pages "$1" "$2" -- "$TMP/scan/$base-ref.pdf"
  qpdf --empty --pages "$TMP/scan/$base-ref.pdf" 1 -- "$TMP/scan/$base-ref1.pdf"
  mutool draw -q -r 300 -c gray -o "$TMP/scan/$base-%d.png" "$TMP/scan/$base-ref.pdf" 2>/dev/null
  for png in "$TMP/scan/$base"-[0-9]*.png; do mutool convert -o "${png%.png}.pdf" "$png" 2>/dev/null; done
  qpdf --empty --pages "$TMP/scan/$base"-[0-9]*.pdf -- "$TMP/scan/$base-scan.pdf"
  "$BIN" tiff "$TMP/scan/$base-scan.tiff" "$TMP/scan/$base"-[0-9]*.png
  [ "$base" = gmpl-contents ] && continue  # CER only
  printf 'scanned\t%s\t%s\n' "$TMP/scan/$base-scan.pdf" "$TMP/scan/$base-ref.pdf" >> "$TMP/categories.tsv"
  printf 'scanned\t%s\t%s\n' "$TMP/scan/$base-scan.tiff" "$TMP/scan/$base-ref.pdf" >> "$TMP/categories.tsv"
  printf 'scanned\t%s\t%s\n' "$TMP/scan/$base-1.png" "$TMP/scan/$base-ref1.pdf" >> "$TMP/categories.tsv"
  scans+=("$TMP/scan/$base-scan.pdf" "$TMP/scan/$base-scan.tiff" "$TMP/scan/$base-1.png")
done

pages=0
for f in "${files[@]}"; do pages=$((pages + $(pdfinfo "$f" 2>/dev/null | awk '/^Pages:/{print $2}'))); done
echo "corpus: ${#files[@]} PDFs, $pages pages; ${#scans[@]} scanned files"

mkdir -p "$TMP/native" "$TMP/ocr"
echo "== native text only (no OCR)"
/usr/bin/time -f "wall=%e s peak_rss=%M KB" "$BIN" extract "$TMP/native" "${files[@]}" 2> "$TMP/native.err" | tail -1
grep -E "^wall=" "$TMP/native.err"
echo "== outline ignored (headings from fonts, weight and numbering only)"
mkdir -p "$TMP/no-outline"
"$BIN" extract --no-outline "$TMP/no-outline" "${files[@]}" 2> /dev/null | tail -1
t0=$(date +%s.%N)
for f in "${files[@]}"; do pdftotext -q "$f" /dev/null; done
t1=$(date +%s.%N)
awk -v p="$pages" -v a="$t0" -v b="$t1" 'BEGIN{printf "pdftotext on the same PDFs: %.0f pages/s\n", p/(b-a)}'

# Native speed against an older build of the extractor, same corpus, same
# run: BASELINE=path/to/bench_extract of that build (bench/extract).
if [ -n "${BASELINE:-}" ]; then
  echo "== native extraction speed: this build vs BASELINE (bench_extract, 3 alternating runs each)"
  for i in 1 2 3; do
    "$BASELINE" "${files[@]}" | tail -1 | sed "s|^|baseline: |"
    "$BUILD/bench/extract/bench_extract" "${files[@]}" | tail -1 | sed "s|^|this:     |"
  done
fi

echo "== with OCR (eng; every PDF, and the scanned copies)"
/usr/bin/time -f "wall=%e s peak_rss=%M KB" "$BIN" extract --ocr --languages eng "$TMP/ocr" "${files[@]}" "${scans[@]}" \
  2> "$TMP/ocr.err" | tail -1
grep -E "^wall=" "$TMP/ocr.err"
grep -v "^wall=" "$TMP/ocr.err" | grep -v " ok " || true

echo "== docpipe ingest of the 3 scanned PDFs, 1 pipeline worker, 2 OCR threads (peak RSS per worker)"
mkdir -p "$TMP/ingest"
cp "$TMP/scan/gmpl-scan.pdf" "$TMP/scan/libtasn1-scan.pdf" "$TMP/scan/booktabs-scan.pdf" "$TMP/ingest/"
DOCPIPE_WORKERS=1 DOCPIPE_OCR_THREADS=2 /usr/bin/time -f "wall=%e s peak_rss=%M KB" \
  "$BUILD/docpipe" --workspace "$TMP/ws" ingest "$TMP/ingest" 2> "$TMP/ingest.err" | tail -1
grep -E "^wall=" "$TMP/ingest.err"

echo "== OCR character error rate (300 dpi renders vs the same pages' text layer)"
for base in gmpl libtasn1 booktabs gmpl-contents; do
  "$BIN" cer "$TMP/scan/$base-ref.pdf" "$TMP/scan/$base-scan.pdf" "$TMP/scan/$base-scan.tiff" | sed "s|$TMP/scan/||"
done

echo "== quality without OCR (headings also with the outline ignored)"
python3 "$HERE/score.py" --detail "${QUALITY_DETAIL:-0}" "$TMP/native" "$TMP/categories.tsv" "$TMP/no-outline"
echo "== quality with OCR on (scanned copies, and any native page sent to OCR)"
python3 "$HERE/score.py" "$TMP/ocr" "$TMP/categories.tsv"

# The rule of the first layout measurements (layout_quality): a chunk counts
# when it contains a line pdftotext prints among the first or last two of at
# least three pages and never elsewhere; position is not looked at, so
# headings at the top of pages and one-word lines found inside body text
# count too. Kept for comparison with the earlier figures.
echo "== header/footer chunks by the earlier rule (layout_quality)"
grep -v $'^scanned\t' "$TMP/categories.tsv" | cut -f2 | xargs -d '\n' "$BUILD/bench/quality/layout_quality" \
  2> /dev/null | sed -n '/^TOTAL/,$p' | grep -E "^(TOTAL|chunks=)"

echo "== retrieval: the questions of questions.tsv, the right page in the top 1 and top 5"
"$HERE/questions.sh" "$BUILD"
