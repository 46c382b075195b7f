#!/usr/bin/env bash
# Builds the extractor fuzz target with clang and runs it on each reader
# (zip containers, HTML, RTF, CSV, e-mail) within a fixed total time: first
# every seed input once (pandoc documents, hand-written edge cases, among
# them inputs that crashed a reader before), then mutations for the rest of
# that reader's share. Fails on any crash, sanitizer report, leak, timeout or
# OOM, printing the log and the input that caused it.
# Usage: tests/fuzz/run.sh [TOTAL_SECONDS] [BUILD_DIR]
#   TOTAL_SECONDS: fuzzing time across all readers (default 25; at least 2 s
#   each). `make test` uses the default; run longer by hand, e.g. 600.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
total=${1:-25}
build=${2:-$here/../../build-fuzz}
formats=(zip html rtf csv email)
per=$(( total / ${#formats[@]} ))
[ "$per" -ge 2 ] || per=2
for tool in clang clang++ pandoc; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y clang libclang-rt-14-dev pandoc" >&2; exit 1; }
done
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
  { echo "libFuzzer is missing: apt-get install -y libclang-rt-14-dev" >&2; exit 1; }
start=$(date +%s)
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=None >/dev/null
nice -n 10 cmake --build "$build" -j2 >/dev/null
built=$(date +%s)
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds"/{zip,html,rtf,csv,email}
cat > "$seeds/s.md" <<'MD'
---
title: Seed
---

# Title

Text with a [link](https://example.com) and a note.[^1]

- a
    - b

| h1 | h2 |
|----|----|
| 1  | 2  |

```
code
```

[^1]: Note.
MD
(cd "$seeds" && for f in docx pptx odt epub; do pandoc -s s.md -o zip/s.$f; done
 pandoc -s s.md -o html/s.html; pandoc -s s.md -o rtf/s.rtf)
# Hand-written edge cases; the RTF \'zz crashed the reader once (fuzz_rtf).
cat > "$seeds/rtf/hex.rtf" <<'RTF'
{\rtf1 a\'zz b\'4 {\*\x c}\par\trowd\cellx100 d\cell\row}
RTF
printf '{\\rtf1{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{a' > "$seeds/rtf/deep.rtf"
printf 'a,b\n1,"x, ""y"""\n' > "$seeds/csv/s.csv"
printf 'a;b;c\n"unterminated;2;3\n' > "$seeds/csv/quote.csv"
printf '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]><html><meta charset=latin1><body><nav>n</nav><table><tr><td colspan=99999>x</table><pre>&b;</pre>' > "$seeds/html/hostile.html"
printf 'From: a@b.c\nTo: d@e.f\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\nhi\n--X\nContent-Type: text/html\nContent-Disposition: attachment; filename=a.html\n\n<p>x</p>\n--X--\n' > "$seeds/email/s.eml"
printf 'Subject: =?utf-8?B?w6k=?=\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: quoted-printable\n\n=F0=D2=C9\n' > "$seeds/email/nested.eml"
status=0
for t in "${formats[@]}"; do
  echo "== $t: $(find "$seeds/$t" -type f | wc -l) seeds, then mutations, ${per}s in all"
  if ! DOCPIPE_FUZZ_FORMAT=$t ASAN_OPTIONS=detect_leaks=1 "$build/fuzz_extractors" -max_total_time="$per" \
       -rss_limit_mb=2048 -timeout=10 -max_len=200000 -print_final_stats=1 -artifact_prefix="$build/$t-" \
       "$seeds/$t" 2> "$seeds/$t.log"; then
    tail -40 "$seeds/$t.log"
    echo "== $t FAILED; the input is under $build/$t-*; reproduce: DOCPIPE_FUZZ_FORMAT=$t $build/fuzz_extractors FILE" >&2
    status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$seeds/$t.log" | tr -s ' ' | tr '\n' ' '; echo
  fi
done
echo "== fuzz build $((built - start)) s, seeds and fuzzing $(( $(date +%s) - built )) s"
exit $status
