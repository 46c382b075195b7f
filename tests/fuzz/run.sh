#!/usr/bin/env bash
# Builds the extractor fuzz targets with clang and runs each for a bounded
# time on a seed corpus made here (pandoc documents, small hand-written
# inputs). Fails on any crash, sanitizer report, leak, timeout or OOM.
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-15}
build=${2:-$here/../../build-fuzz}
for tool in clang clang++ pandoc; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y clang libclang-rt-14-dev pandoc" >&2; exit 1; }
done
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] ||
  { echo "libFuzzer is missing: apt-get install -y libclang-rt-14-dev" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=None >/dev/null
nice -n 10 cmake --build "$build" -j2 >/dev/null
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$seeds"/{zip,html,rtf,csv,email}
cat > "$seeds/s.md" <<'MD'
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
printf 'a,b\n1,"x, ""y"""\n' > "$seeds/csv/s.csv"
printf 'From: a@b.c\nTo: d@e.f\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\nhi\n--X\nContent-Type: text/html\nContent-Disposition: attachment; filename=a.html\n\n<p>x</p>\n--X--\n' > "$seeds/email/s.eml"
status=0
for t in zip html rtf csv email; do
  echo "== fuzz_$t for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1 "$build/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
       -max_len=200000 -print_final_stats=1 -artifact_prefix="$build/" "$seeds/$t" 2> "$seeds/$t.log"; then
    tail -40 "$seeds/$t.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$seeds/$t.log" | tr '\n' ' '; echo
  fi
done
exit $status
