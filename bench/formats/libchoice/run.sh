#!/usr/bin/env bash
# The library measurements behind the non-PDF extractors' choices (issue 15:
# "choose by measurement"), in one run: zip readers (libzip, minizip,
# libarchive), XML parsers (pugixml, libxml2 DOM and reader) and their entity
# handling, HTML parsers (gumbo, libxml2) and gumbo's tree size per input
# byte on real and hostile pages, MIME parsers (GMime, mimetic). The tools
# are built here with g++ (the rivals are not docpipe dependencies: the bench
# stage of scripts/install-deps.sh installs them). Results: docs/benchmarks.md.
# Usage: bench/formats/libchoice/run.sh [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
guide=/usr/share/doc/ubuntu-packaging-guide-epub/ubuntu-packaging-guide.epub
odt=/usr/share/doc/live-manual/odt/live-manual.en.odt
for need in pandoc unzip python3 /usr/bin/time "$guide" "$odt" /usr/include/minizip/unzip.h /usr/include/archive.h \
            /usr/include/mimetic/mimetic.h; do
  command -v "$need" >/dev/null || [ -e "$need" ] || {
    echo "missing $need: scripts/install-deps.sh bench" >&2
    exit 1
  }
done
cd "$work"
build() {  # NAME "FLAGS"
  # shellcheck disable=SC2086  # FLAGS are words on purpose
  g++ -std=c++20 -O2 -Wall -Wextra "$here/$1.cpp" -o "$1" $2
}
build zip_choice "-lzip -lminizip -larchive"
build xml_choice "$(pkg-config --cflags --libs libxml-2.0 pugixml)"
build html_choice "$(pkg-config --cflags --libs libxml-2.0) -lgumbo"
build mime_choice "$(pkg-config --cflags --libs gmime-3.0) -lmimetic"

# Inputs: the Ubuntu Packaging Guide as EPUB (and its XHTML chapters), as a
# pandoc DOCX and HTML; the Debian Live manual's ODT content; an e-mail with
# both as attachments; hostile HTML.
pandoc "$guide" -t markdown -o manual.md 2>/dev/null
pandoc -s manual.md -o generated.docx 2>/dev/null
pandoc -s manual.md -o generated.html 2>/dev/null
cp "$guide" original.epub
rm -rf xhtml && mkdir xhtml && (cd xhtml && unzip -q ../original.epub)
unzip -p generated.docx word/document.xml > document.xml
unzip -p "$odt" content.xml > odt-content.xml
python3 - <<'PY'
import email.message, email.policy
m = email.message.EmailMessage(policy=email.policy.SMTP)
m['Subject'] = 'Rapport trimestriel — données 2024 ✓'
m['From'] = 'Ann <ann@example.com>'
m['To'] = 'bob@example.com'
m.set_content(open('manual.md').read()[:200000])
m.add_alternative(open('generated.html').read(), subtype='html')
m.add_attachment(open('generated.docx', 'rb').read(), maintype='application',
                 subtype='vnd.openxmlformats-officedocument.wordprocessingml.document', filename='manual.docx')
m.add_attachment(open('original.epub', 'rb').read(), maintype='application', subtype='epub+zip', filename='manual.epub')
open('mail.eml', 'wb').write(m.as_bytes())
n = 200000
open('p.html', 'w').write('<p>' * n)
open('br.html', 'w').write('<br>' * n)
open('td.html', 'w').write('<table>' + '<tr><td>' * n + '</table>')
open('attrs.html', 'w').write(''.join('<i a=1 b=2 c=3>x</i>' for _ in range(n // 4)))
open('div.html', 'w').write('<div>' * 20000)
open('b.html', 'w').write('<b>' * 5000)
open('text.html', 'w').write('<p>' + 'word ' * n + '</p>')
d = open('original.epub', 'rb').read()
open('truncated.epub', 'wb').write(d[:len(d) // 2])
PY
member=$(unzip -l original.epub | awk '{print $4}' | grep -E 'index\.x?html$' | head -1)
echo "== zip: every member, then one by name; peak RSS"
for lib in libzip minizip libarchive; do
  /usr/bin/time -f '   peak RSS %M KB' ./zip_choice "$lib" original.epub 10 "$member" 2>&1 | tr '\n' ' '; echo
  { ./zip_choice "$lib" truncated.epub 1 2>&1 || true; } | tail -1
done
echo "== xml: parse and walk, best of 10; peak RSS"
for lib in pugixml libxml2-dom libxml2-reader; do
  for f in document.xml odt-content.xml; do
    /usr/bin/time -f '   peak RSS %M KB' ./xml_choice "$lib" "$f" 10 2>&1 | tr '\n' ' '; echo
  done
done
./xml_choice entities
echo "== html: parse time over the 126 chapters and the pandoc HTML (best of 3)"
pages=(generated.html)
while IFS= read -r f; do pages+=("$f"); done < <(find xhtml -name '*.xhtml' -o -name '*.html' | sort)
for lib in gumbo libxml2; do
  /usr/bin/time -f '   peak RSS %M KB' ./html_choice "$lib" "${pages[@]}" 2>&1 | tr '\n' ' '; echo
done
echo "== gumbo's tree, bytes per input byte"
./html_choice tree "${pages[@]}" | grep -v '^files' | awk '{print $6}' | tr -d x | sort -n |
  awk '{a[NR]=$1} END {printf "   real pages: %d, min x%s, median x%s, 95th percentile x%s, max x%s\n", NR, a[1], a[int((NR+1)/2)], a[int(NR*0.95)], a[NR]}'
./html_choice tree p.html br.html td.html attrs.html div.html b.html text.html | grep -v '^files'
echo "== mime: parse, walk, decode every leaf (best of 10); peak RSS"
for lib in gmime mimetic; do
  /usr/bin/time -f '   peak RSS %M KB' ./mime_choice "$lib" mail.eml 10 2>&1 | tr '\n' ' '; echo
done
