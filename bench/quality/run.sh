#!/usr/bin/env bash
# Extraction quality on real documents from Debian's packages (manuals,
# articles, slides, right-to-left and CJK scripts, scanned pages made by
# rendering real pages): word recall/precision against pdftotext, chunks
# carrying running headers/footers, headings against the PDFs' outlines,
# U+FFFD, tables, OCR character error rate, pages/s and peak RSS without and
# with OCR. Figures: docs/benchmarks.md ("Extraction quality").
# Usage: [BASELINE=old/bench_extract] bench/quality/run.sh [BUILD_DIR]
#   (Release build of bench_quality and bench_extract; scripts/install-deps.sh bench)
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/bench/quality/bench_quality
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -x "$BIN" ] || { echo "build $BIN first: cmake --build $BUILD --target bench_quality" >&2; exit 1; }

T=/usr/share/doc/texlive-doc
declare -A CORPUS=(
  [manual]="/usr/share/doc/glpk-doc/gmpl.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf /usr/share/doc/octave/liboctave.pdf
            $T/latex/booktabs/booktabs.pdf $T/latex/listings/listings.pdf $T/latex/xcolor/xcolor.pdf
            $T/latex/mathtools/mathtools.pdf $T/latex/caption/caption.pdf $T/fonts/amsfonts/amsfndoc.pdf"
  [article]="/usr/share/doc/glpk-doc/cnfsat.pdf /usr/share/doc/glpk-doc/graphs.pdf $T/latex/lineno/lineno.pdf
             $T/latex/microtype/microtype.pdf $T/latex/caption/subcaption.pdf"
  [slides]="$T/latex/beamer/beamerexample-conference-talk.pdf $T/latex/beamer/beamerexample-lecture-beamer-version.pdf
            $T/generic/lecturer/LecturerDemo-BeamerCambridgeUS.pdf $T/plain/present/HowToTalkTeX.pdf"
  [rtl]="$T/xelatex/xepersian/xepersian-doc.pdf $T/latex/lshort-persian/lshort.pdf $T/xelatex/sexam/sexam_wexam_doc_ar.pdf
         $T/latex/polyglossia/example-arabic.pdf $T/xelatex/bidi/bidi-doc.pdf $T/xelatex/persian-bib/Persian-bib-userguide.pdf
         $T/xelatex/arabic-book/arabic-book.pdf $T/lualatex/simurgh/simurgh-doc.pdf $T/latex/arabi/test_beamer.pdf"
  [cjk_thai]="$T/latex/polyglossia/example-chinese.pdf $T/latex/polyglossia/example-japanese.pdf
              $T/latex/polyglossia/example-korean.pdf $T/latex/polyglossia/example-thai.pdf"
)

: > "$TMP/categories.tsv"
files=()
for cat in manual article slides rtl cjk_thai; do
  for f in ${CORPUS[$cat]}; do
    if [ ! -f "$f" ]; then echo "missing $f (scripts/install-deps.sh bench installs the doc packages)" >&2; exit 1; fi
    printf '%s\t%s\t%s\n' "$cat" "$f" "$f" >> "$TMP/categories.tsv"
    files+=("$f")
  done
done

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
t0=$(date +%s.%N); pdftotext_pages=0
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

echo "== OCR character error rate (300 dpi renders vs the same pages' text layer)"
for base in gmpl libtasn1 booktabs gmpl-contents; do
  "$BIN" cer "$TMP/scan/$base-ref.pdf" "$TMP/scan/$base-scan.pdf" "$TMP/scan/$base-scan.tiff" | sed "s|$TMP/scan/||"
done

echo "== quality without OCR"
python3 "$HERE/score.py" "$TMP/native" "$TMP/categories.tsv"
echo "== quality with OCR"
QUALITY_DETAIL=${QUALITY_DETAIL:-} python3 "$HERE/score.py" "$TMP/ocr" "$TMP/categories.tsv"
