#!/usr/bin/env bash
# Documents/s and peak RSS of docpipe's extractors per format, beside pandoc
# converting the same files to plain text, in one run. The documents are the
# Ubuntu Packaging Guide (ubuntu-packaging-guide-epub; pandoc cannot read
# the Debian Live manual's EPUB) converted to Markdown and written by pandoc
# as DOCX, ODT, PPTX, RTF, HTML and EPUB, plus the original EPUB.
# Usage: bench/formats/run.sh [BUILD_DIR] [REPEAT]   (build first; Release)
set -euo pipefail
BUILD=${1:-build}
REPEAT=${2:-5}
BIN=$BUILD/bench/formats/bench_formats
SRC=/usr/share/doc/ubuntu-packaging-guide-epub/ubuntu-packaging-guide.epub
for need in pandoc /usr/bin/time "$SRC"; do
  command -v "$need" >/dev/null || [ -e "$need" ] ||
    { echo "missing $need: apt-get install -y pandoc time ubuntu-packaging-guide-epub" >&2; exit 1; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pandoc "$SRC" -t markdown -o "$TMP/manual.md" 2>/dev/null
cp "$SRC" "$TMP/manual.epub"
for f in docx odt pptx rtf html; do pandoc -s "$TMP/manual.md" -o "$TMP/generated.$f" 2>/dev/null; done
mv "$TMP/manual.epub" "$TMP/original.epub"
pandoc -s "$TMP/manual.md" -o "$TMP/generated.epub" 2>/dev/null
printf '| format | size | docpipe docs/s | docpipe peak RSS | pandoc -t plain docs/s | pandoc peak RSS |\n| --- | --- | --- | --- | --- | --- |\n'
for f in "$TMP"/generated.docx "$TMP"/generated.odt "$TMP"/generated.pptx "$TMP"/generated.rtf \
         "$TMP"/generated.html "$TMP"/generated.epub "$TMP"/original.epub; do
  name=$(basename "$f")
  size=$(du -k "$f" | cut -f1)
  "$BIN" "$f" >/dev/null  # warm
  /usr/bin/time -f '%M' -o "$TMP/rss" "$BIN" --repeat "$REPEAT" "$f" > "$TMP/out"
  dps=$(sed -E 's/.*documents\/s: ([0-9.]+).*/\1/' "$TMP/out")
  rss=$(cat "$TMP/rss")
  # pandoc 2.17 reads no PPTX: its column says so.
  if ! pandoc "$f" -t plain -o /dev/null 2>/dev/null; then
    printf '| %s | %s KB | %s | %.1f MB | n/a (pandoc cannot read it) | n/a |\n' "$name" "$size" "$dps" \
      "$(echo "$rss/1024" | bc -l)"
    continue
  fi
  t0=$(date +%s.%N)
  for _ in $(seq "$REPEAT"); do /usr/bin/time -f '%M' -o "$TMP/prss" pandoc "$f" -t plain -o /dev/null 2>/dev/null; done
  t1=$(date +%s.%N)
  pdps=$(awk -v n="$REPEAT" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", n/(b-a)}')
  printf '| %s | %s KB | %s | %.1f MB | %s | %.1f MB |\n' "$name" "$size" "$dps" "$(echo "$rss/1024" | bc -l)" "$pdps" \
    "$(echo "$(cat "$TMP/prss")/1024" | bc -l)"
done
