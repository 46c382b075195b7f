#!/usr/bin/env bash
# Prints the quality corpus as "category<TAB>file<TAB>reference" lines: real
# PDFs from Debian's documentation packages, deterministic for a given set of
# installed packages (compressed ones are unpacked into DIR).
#  - 31 chosen by hand, in five categories: manual, article, slides,
#    rtl (Persian, Arabic), cjk_thai;
#  - the glpk, libtasn1, octave, gnuplot, beamer and booktabs manuals, and an
#    evenly spaced pick of texlive-doc's PDFs, COUNT in all (default 200;
#    20 of them are among the 31 too), categorised by rule: rtl when at least 20 % of the letters pdftotext
#    reads are Arabic or Hebrew, cjk_thai when they are CJK, Hangul or Thai,
#    slides when the first page is landscape, manual from 40 pages, article
#    below.
# The reference of a PDF is the PDF itself (run.sh adds scanned copies whose
# reference is the original).
# With HELD_OUT=1 it prints instead every other PDF under /usr/share/doc: the
# documents the corpus leaves out, to check that what was tuned on the corpus
# holds elsewhere (docs/benchmarks.md, "held-out").
# Usage: [HELD_OUT=1] bench/quality/corpus.sh DIR [COUNT]
set -euo pipefail
dir=$1
count=${2:-200}
mkdir -p "$dir"
T=/usr/share/doc/texlive-doc
declare -A CHOSEN=(
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
declare -A seen
n=0
held_out=${HELD_OUT:-0}
[ "$held_out" = 1 ] && exec 3>&1 1>/dev/null
for cat in manual article slides rtl cjk_thai; do
  for f in ${CHOSEN[$cat]}; do
    if [ ! -f "$f" ]; then echo "missing $f (scripts/install-deps.sh bench installs the doc packages)" >&2; exit 1; fi
    printf '%s\t%s\t%s\n' "$cat" "$f" "$f"
    seen[$f]=1
    n=$((n + 1))
  done
done

category() {
  local f=$1 pages size
  pages=$(pdfinfo "$f" 2>/dev/null | awk '/^Pages:/{print $2}')
  size=$(pdfinfo "$f" 2>/dev/null | awk '/^Page size:/{print ($3 > 1.2 * $5) ? "landscape" : "portrait"}')
  local script
  script=$(pdftotext -q -l 20 -enc UTF-8 "$f" - 2>/dev/null | python3 -c '
import sys
rtl = cjk = letters = 0
for ch in sys.stdin.read():
    if not ch.isalpha():
        continue
    letters += 1
    o = ord(ch)
    if 0x590 <= o <= 0x8FF or 0xFB1D <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
        rtl += 1
    elif 0xE00 <= o <= 0xE7F or 0x3040 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF:
        cjk += 1
print("rtl" if letters and rtl >= 0.2 * letters else "cjk_thai" if letters and cjk >= 0.2 * letters else "latin")')
  if [ "$script" != latin ]; then echo "$script"
  elif [ "$size" = landscape ]; then echo slides
  elif [ "${pages:-0}" -ge 40 ]; then echo manual
  else echo article
  fi
}

emit() {
  local f=$1 out
  [ -n "${seen[$f]:-}" ] && return 0
  seen[$f]=1
  case "$f" in
    *.gz) out="$dir/$(echo "${f#/usr/share/doc/}" | tr / _ | sed 's/\.gz$//')"
          [ -e "$out" ] || gzip -dc "$f" > "$out" ;;
    *) out=$f ;;
  esac
  printf '%s\t%s\t%s\n' "$(category "$out")" "$out" "$out"
  n=$((n + 1))
}

# The layout sample (the corpus of issue 14's first layout figures): the
# fixed manuals, then COUNT minus their number evenly spaced
# over texlive-doc's sorted PDFs.
fixed=(/usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/*.pdf /usr/share/doc/octave/*.pdf*
       /usr/share/doc/gnuplot*/gnuplot.pdf "$T"/latex/beamer/*.pdf "$T"/latex/booktabs/*.pdf*)
list=()
for f in "${fixed[@]}"; do [ -e "$f" ] && list+=("$f"); done
mapfile -t tex < <(find "$T" -name '*.pdf' -o -name '*.pdf.gz' | sort)
want=$((count - ${#list[@]}))
if [ "${#tex[@]}" -gt 0 ] && [ "$want" -gt 0 ]; then
  [ "$want" -gt "${#tex[@]}" ] && want=${#tex[@]}
  for ((i = 0; i < want; i++)); do list+=("${tex[$((i * ${#tex[@]} / want))]}"); done
fi
for f in "${list[@]}"; do emit "$f"; done
if [ "$held_out" = 1 ]; then
  exec 1>&3
  mapfile -t rest < <(find /usr/share/doc -name '*.pdf' | sort)
  for f in "${rest[@]}"; do emit "$f"; done
fi
