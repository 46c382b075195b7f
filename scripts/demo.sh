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
echo
for q in "How do I read a problem in MPS format?" \
         "maximum flow through a network with arc capacities" \
         "How can I decode DER encoded data into an ASN.1 structure?"; do
  echo "== docpipe search \"$q\""
  "$bin" --workspace "$ws" search "$q" -k 3
done
