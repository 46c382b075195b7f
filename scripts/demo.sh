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
first=$("$bin" --workspace "$ws" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["document_id"])' 2>/dev/null || true)
if [ -n "$first" ]; then
  echo
  echo "== docpipe audit $first"
  "$bin" --workspace "$ws" audit "$first"
  echo
  echo "== first chunk of $first (chunks/$first.json)"
  python3 - "$ws/store/chunks/$first.json" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
c = d["chunks"][min(3, len(d["chunks"]) - 1)]
print(f'{c["chunk_id"]}  pages {c["page_start"]}-{c["page_end"]}  {c["token_count"]} tokens  [{" > ".join(c["breadcrumbs"])}]')
print(c["text"][:600])
PY
fi
