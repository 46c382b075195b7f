#!/usr/bin/env bash
# Writes the zip-container seeds of fuzz.extract.zip (DOCX, PPTX, ODT, EPUB)
# with pandoc from our own Markdown, so the repository holds no binary.
# Usage: tests/fuzz/make_zip_seeds.sh MARKDOWN OUT_DIR
set -euo pipefail
command -v pandoc >/dev/null || { echo "pandoc is missing: apt-get install -y pandoc" >&2; exit 1; }
mkdir -p "$2"
for f in docx pptx odt epub; do
  pandoc -s "$1" -o "$2/seed.$f"
done
echo "wrote 4 seeds to $2"
