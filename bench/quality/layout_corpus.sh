#!/usr/bin/env bash
# Prints the layout corpus: about 200 real PDFs from Debian's doc packages
# (LaTeX package manuals, beamer talks, glpk/octave/gnuplot manuals), one path
# a line, compressed ones unpacked into DIR. Deterministic for a given set of
# installed packages.
# Usage: bench/quality/layout_corpus.sh DIR [COUNT]
set -euo pipefail
dir=$1
count=${2:-200}
mkdir -p "$dir"
fixed=(/usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/*.pdf /usr/share/doc/octave/*.pdf*
       /usr/share/doc/gnuplot*/gnuplot.pdf /usr/share/doc/texlive-doc/latex/beamer/*.pdf
       /usr/share/doc/texlive-doc/latex/booktabs/*.pdf*)
list=()
for f in "${fixed[@]}"; do [ -e "$f" ] && list+=("$f"); done
mapfile -t tex < <(find /usr/share/doc/texlive-doc -name '*.pdf' -o -name '*.pdf.gz' | sort)
want=$((count - ${#list[@]}))
if [ "${#tex[@]}" -gt 0 ] && [ "$want" -gt 0 ]; then
  [ "$want" -gt "${#tex[@]}" ] && want=${#tex[@]}
  for ((i = 0; i < want; i++)); do list+=("${tex[$((i * ${#tex[@]} / want))]}"); done
fi
declare -A seen
for f in "${list[@]}"; do
  [ -n "${seen[$f]:-}" ] && continue
  seen[$f]=1
  case "$f" in
    *.gz) out="$dir/$(echo "${f#/usr/share/doc/}" | tr / _ | sed 's/\.gz$//')"
          [ -e "$out" ] || gzip -dc "$f" > "$out"
          echo "$out" ;;
    *) echo "$f" ;;
  esac
done
