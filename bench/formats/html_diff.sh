#!/usr/bin/env bash
# What a change to the HTML reader does on every real HTML page and EPUB this
# machine's packages install (/usr/share/doc, /usr/share/gtk-doc,
# /usr/share/help): each file is extracted by two bench_formats binaries
# (`--print`), and the Markdown lines only the first writes ("removed") or
# only the second ("added") are counted, with the words the second adds that
# the first did not have (a change that only drops furniture adds none).
# Then the HTML redirect pages among them (an immediate meta refresh), which
# `docpipe ingest DIR` skips.
# Usage: bench/formats/html_diff.sh OLD_BENCH_FORMATS NEW_BENCH_FORMATS [OUT_DIR]
#   (build both with `cmake --build BUILD --target bench_formats`; the old
#    one from the commit before the change)
#   OUT_DIR keeps diff.txt: "=== FILE" then "< removed" / "> added" lines.
set -euo pipefail
old=${1:?usage: $0 OLD_BENCH_FORMATS NEW_BENCH_FORMATS [OUT_DIR]}
new=${2:?usage: $0 OLD_BENCH_FORMATS NEW_BENCH_FORMATS [OUT_DIR]}
out=${3:-$(mktemp -d)}
mkdir -p "$out"
roots=()
for d in /usr/share/doc /usr/share/gtk-doc /usr/share/help; do [ -d "$d" ] && roots+=("$d"); done
find "${roots[@]}" \( -iname '*.htm' -o -iname '*.html' -o -iname '*.xhtml' -o -iname '*.epub' \) -type f \
     2>/dev/null | sort > "$out/files.txt" || true
: > "$out/diff.txt"
while IFS= read -r f; do
  "$old" --print "$f" > "$out/a" 2>/dev/null || true
  "$new" --print "$f" > "$out/b" 2>/dev/null || true
  if ! cmp -s "$out/a" "$out/b"; then
    { echo "=== $f"; diff "$out/a" "$out/b" | grep '^[<>]' | grep -v '^[<>] *$' || true; } >> "$out/diff.txt"
  fi
done < "$out/files.txt"
python3 - "$out/diff.txt" "$(wc -l < "$out/files.txt")" <<'PY'
import collections, sys
files = int(sys.argv[2])
old, new, cur = {}, {}, None
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("=== "):
        cur = line[4:].strip(); old[cur] = []; new[cur] = []
    elif line.startswith("< "):
        old[cur].append(line[2:])
    elif line.startswith("> "):
        new[cur].append(line[2:])
removed = sum(len(v) for v in old.values())
added = sum(len(v) for v in new.values())
words_added = 0
for f in old:
    extra = collections.Counter(" ".join(new[f]).split()) - collections.Counter(" ".join(old[f]).split())
    words_added += sum(extra.values())
print(f"files: {files}; changed: {len(old)}; lines removed: {removed}; lines added: {added}; "
      f"words added that the old output did not have: {words_added}")
by_dir = collections.Counter(f.rsplit("/", 1)[0] for f in old)
for d, n in by_dir.most_common(12):
    print(f"  {n:5d}  {d}")
PY
redirects=0
while IFS= read -r f; do
  case "$f" in *.epub|*.EPUB) continue ;; esac
  if head -c 8192 "$f" | grep -qiE 'http-equiv=["'"'"']?refresh'; then redirects=$((redirects + 1)); fi
done < "$out/files.txt"
echo "pages with a meta refresh in their first 8 KB (docpipe skips those that redirect at once): $redirects"
echo "diff: $out/diff.txt"
