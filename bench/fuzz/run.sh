#!/usr/bin/env bash
# Long, coverage-guided fuzzing: the targets of tests/fuzz/ built with clang
# and libFuzzer (-fsanitize=fuzzer,address,undefined), every source of the
# libraries they link instrumented, each run for SECONDS from its committed
# seed corpus (and dictionary). make test runs the same targets for a few
# seconds each with our own mutation driver instead (tests/fuzz/driver).
# New inputs that reach new code go to BUILD/corpus/<target>/ (kept between
# runs); a crash, sanitizer report, leak, timeout or OOM fails the run and
# names the input and the command that replays it.
# Usage: bench/fuzz/run.sh [SECONDS] [BUILD_DIR] [TARGET...]
#   SECONDS: per target (default 60); BUILD_DIR: default build-fuzz/ at the
#   top of the checkout; TARGET: s3_event aws_xml aws_answers config_toml
#   http_api fts_query markdown_blocks extract.<format> (default all).
#   `make bench` calls every bench/*/run.sh with its build folder first:
#   given a folder instead of SECONDS, the clang build goes to FOLDER/fuzz-clang.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -ge 1 ] && ! [[ $1 =~ ^[0-9]+$ ]]; then
  set -- 60 "$1/fuzz-clang" "${@:2}"
fi
seconds=${1:-60}
build=${2:-$root/build-fuzz}
shift $(( $# > 2 ? 2 : $# ))
for tool in clang clang++; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/install-deps.sh bench (or apt-get install -y clang libclang-rt-14-dev)" >&2; exit 1; }
done
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
  { echo "libFuzzer is missing: scripts/install-deps.sh bench (or apt-get install -y libclang-rt-14-dev)" >&2; exit 1; }
corpus_src=$root/tests/fuzz/corpus
formats=(text pdf html rtf csv email zip)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(s3_event aws_xml aws_answers config_toml http_api fts_query markdown_blocks)
  for f in "${formats[@]}"; do targets+=("extract.$f"); done
fi

start=$(date +%s)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=None -DDOCPIPE_SANITIZE=ON -DDOCPIPE_PCH=OFF \
  -DDOCPIPE_UNIT_TESTS_ONLY=OFF -DDOCPIPE_TESTS=ON -DDOCPIPE_FUZZ_ENGINE=libfuzzer \
  -DCMAKE_CXX_FLAGS='-O1 -gline-tables-only -fsanitize=fuzzer-no-link' >/dev/null
bins=()
for t in "${targets[@]}"; do
  case "$t" in extract.*) b=fuzz_extract ;; *) b=fuzz_$t ;; esac
  [[ " ${bins[*]} " == *" $b "* ]] || bins+=("$b")
done
nice -n 10 cmake --build "$build" -j2 --target "${bins[@]}" >"$build/build.log" 2>&1 ||
  { tail -40 "$build/build.log"; echo "bench/fuzz: the clang build failed ($build/build.log)" >&2; exit 1; }
built=$(date +%s)
"$root/tests/fuzz/make_zip_seeds.sh" "$corpus_src/extract/zip.md" "$build/seeds/zip" >/dev/null

status=0
for t in "${targets[@]}"; do
  case "$t" in
    extract.*) bin=fuzz_extract; corpus=extract/${t#extract.}; export DOCPIPE_FUZZ_FORMAT=${t#extract.} ;;
    *) bin=fuzz_$t; corpus=$t ;;
  esac
  found=$build/corpus/$t
  mkdir -p "$found" "$build/crashes"
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=65536 -print_final_stats=1
        -artifact_prefix="$build/crashes/$t-")
  [ -f "$corpus_src/$corpus.dict" ] && args+=(-dict="$corpus_src/$corpus.dict")
  dirs=("$found" "$corpus_src/$corpus")
  [ "$t" = extract.zip ] && dirs+=("$build/seeds/zip")
  echo "== $t: ${seconds}s"
  # Known leaks inside third-party libraries (tests/fuzz/lsan.supp); MuPDF's
  # frames are seen only by the slow unwinder.
  asan=detect_leaks=1
  [ "$t" = extract.pdf ] && asan=$asan:fast_unwind_on_malloc=0
  if ! ASAN_OPTIONS=$asan LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp \
       "$build/fuzz/$bin" "${args[@]}" "${dirs[@]}" >"$build/$t.log" 2>&1; then
    grep -v '^#[0-9]' "$build/$t.log" | tail -40
    echo "== $t FAILED; the input is under $build/crashes/$t-*; replay:" \
         "${DOCPIPE_FUZZ_FORMAT:+DOCPIPE_FUZZ_FORMAT=$DOCPIPE_FUZZ_FORMAT }$build/fuzz/$bin FILE" >&2
    status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|cov: ' "$build/$t.log" | tail -3 | tr -s ' ' | tr '\n' ' '
    echo
  fi
  unset DOCPIPE_FUZZ_FORMAT
done
echo "== clang build $((built - start)) s, fuzzing $(( $(date +%s) - built )) s"
exit $status
