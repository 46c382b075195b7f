#!/usr/bin/env bash
# The main job on the embedded default: ingest real PDF manuals from Debian's
# doc packages into a fresh workspace and show what came out.
set -euo pipefail
bin=${1:-build/docpipe}
ws=${DOCPIPE_DEMO_WORKSPACE:-.docpipe-demo}
docs=$(mktemp -d)
trap 'rm -rf "$docs"' EXIT
mkdir -p "$docs/manuals"
for f in /usr/share/doc/glpk-doc/glpk.pdf /usr/share/doc/glpk-doc/gmpl.pdf \
         /usr/share/doc/glpk-doc/graphs.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf; do
  [ -f "$f" ] && ln -s "$f" "$docs/manuals/$(basename "$f")"
done
rm -rf "$ws"
echo "== docpipe ingest (workspace $ws)"
"$bin" --workspace "$ws" ingest "$docs/manuals"
echo
echo "== docpipe status"
"$bin" --workspace "$ws" status
echo
echo "== docpipe metrics"
"$bin" --workspace "$ws" metrics
first=$("$bin" --workspace "$ws" status --json | jq -r '.[0].document_id // empty')
if [ -n "$first" ]; then
  echo
  echo "== docpipe audit $first"
  "$bin" --workspace "$ws" audit "$first"
  echo
  echo "== a chunk of $first (from $ws/store/chunks/$first.json)"
  jq -r '.chunks[3] // .chunks[0] | "\(.chunk_id)  pages \(.page_start)-\(.page_end)  \(.token_count) tokens  [\(.breadcrumbs | join(" > "))]\n\(.text[0:600])"' \
    "$ws/store/chunks/$first.json"
fi
