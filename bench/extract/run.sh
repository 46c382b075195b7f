#!/usr/bin/env bash
# Pages/s of docpipe's PdfExtractor vs `mutool draw -F txt` and pdftotext on the
# same manuals, then docpipe's peak RSS on a >= 1,000-page PDF built with qpdf.
# Usage: bench/extract/run.sh [BUILD_DIR]   (build first; -DCMAKE_BUILD_TYPE=Release)
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/bench/extract/bench_extract
DOCS=(/usr/share/doc/glpk-doc/glpk.pdf /usr/share/doc/glpk-doc/gmpl.pdf /usr/share/doc/glpk-doc/graphs.pdf
      /usr/share/doc/glpk-doc/cnfsat.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pages=0
for f in "${DOCS[@]}"; do pages=$((pages + $(pdfinfo "$f" | awk '/^Pages:/{print $2}'))); done
now() { date +%s.%N; }
rate() { awk -v p="$pages" -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", p/(b-a)}'; }

"$BIN" "${DOCS[@]}" >/dev/null  # warm the page cache
t0=$(now); "$BIN" "${DOCS[@]}" > "$TMP/docpipe.txt"; t1=$(now)
t2=$(now); for f in "${DOCS[@]}"; do mutool draw -q -F txt -o /dev/null "$f" 2>/dev/null; done; t3=$(now)
t4=$(now); for f in "${DOCS[@]}"; do pdftotext -q "$f" /dev/null; done; t5=$(now)
cat "$TMP/docpipe.txt"
echo "pages: $pages"
echo "docpipe   (process wall time): $(rate "$t0" "$t1") pages/s"
echo "mutool draw -F txt           : $(rate "$t2" "$t3") pages/s"
echo "pdftotext                    : $(rate "$t4" "$t5") pages/s"

# A >= 1,000-page PDF from repeated manuals, for the streaming/RSS check.
inputs=(); n=0
while [ "$n" -lt 1000 ]; do
  for f in "${DOCS[@]}"; do inputs+=("$f"); n=$((n + $(pdfinfo "$f" | awk '/^Pages:/{print $2}'))); done
done
qpdf --empty --pages "${inputs[@]}" -- "$TMP/big.pdf"
echo "big.pdf: $(pdfinfo "$TMP/big.pdf" | awk '/^Pages:/{print $2}') pages"
/usr/bin/time -v "$BIN" "$TMP/big.pdf" 2> "$TMP/time.txt" | tail -1
grep -E "Maximum resident set size" "$TMP/time.txt"
