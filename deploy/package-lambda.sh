#!/usr/bin/env bash
# Packages the docpipe binary as a self-contained AWS Lambda custom-runtime zip.
#
# Usage: deploy/package-lambda.sh BINARY OUT.zip
#
# Lambda's provided.al2023 runtime is Amazon Linux 2023 (glibc 2.34); docpipe
# is built on Debian 12 (glibc 2.36) against Debian's shared libraries. So the
# zip carries everything the binary loads, glibc and its dynamic loader
# included, and `bootstrap` starts docpipe through the bundled loader with the
# bundled libraries only (the system's are never consulted: --inhibit-cache,
# and --library-path replaces LD_LIBRARY_PATH):
#
#   bootstrap                      sh script: exec lib/ld-linux-x86-64.so.2 ... docpipe lambda
#   docpipe                        the binary, unchanged
#   lib/<soname>                   every library `ldd BINARY` lists, under the name the binary asks for,
#                                  and the system libraries docpipe loads on first use
#                                  (deploy/on-demand-libraries.txt: libcurl) with theirs
#   certs/ca-certificates.crt      the build machine's CA bundle, used only when the
#                                  system has none at the usual places
#
# The zip is reproducible: same binary and libraries, same bytes (fixed
# timestamps, sorted entries, no extra attributes), so its SHA-256 names the
# content and an unchanged binary does not roll the function.
# `bootstrap ARGS...` runs `docpipe ARGS...` instead (e.g. `bootstrap --version`).
set -euo pipefail

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
}

if [ "$#" -eq 1 ] && { [ "$1" = -h ] || [ "$1" = --help ]; }; then
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if [ "$#" -ne 2 ]; then
  usage
  exit 2
fi
binary=$1
out=$2
case "$out" in
  *.zip) ;;
  *) echo "package-lambda: OUT must end in .zip: $out" >&2; exit 2 ;;
esac
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
  echo "package-lambda: not an executable file: $binary" >&2
  exit 2
fi
for tool in ldd zip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "package-lambda: '$tool' is required (Debian: scripts/install-deps.sh package)" >&2
    exit 1
  fi
done
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "package-lambda: runs on Linux x86_64 (the Lambda's architecture); on other machines deploy.sh builds the zip in Docker" >&2
  exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/docpipe-lambda.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$stage/certs"

# ldd prints "soname => /path (addr)" for each library and "/path/ld-linux... (addr)"
# for the loader; "not found" means the binary could not run here either.
ldd_out=$(ldd "$binary") || { echo "package-lambda: ldd failed on $binary (not a dynamic executable?)" >&2; exit 1; }
if grep -q 'not found' <<<"$ldd_out"; then
  echo "package-lambda: unresolved libraries:" >&2
  printf '%s\n' "$ldd_out" | grep 'not found' >&2
  exit 1
fi
loader=""
count=0
# Copies the libraries of an ldd listing that are not packed yet.
pack_libraries() {
  while read -r first second third _; do
    if [ "$second" = "=>" ] && [ "${third#/}" != "$third" ]; then
      if [ ! -e "$stage/lib/$first" ]; then
        cp -L "$third" "$stage/lib/$first"
        count=$((count + 1))
      fi
    elif [ "${first#/}" != "$first" ] && [ "${first%/ld-linux-x86-64.so.2}" != "$first" ]; then
      loader=$first
    fi
  done
}
pack_libraries <<EOF
$ldd_out
EOF
# The system libraries docpipe loads on first use (dlopen), and theirs, found
# in the loader's cache as `${LDCONFIG:-/sbin/ldconfig} -p` lists it.
on_demand=$(dirname "$0")/on-demand-libraries.txt
while read -r soname kind _; do
  case "$soname" in ''|'#'*) continue ;; esac
  [ "$kind" = system ] || continue
  # awk reads to the end: leaving early would kill ldconfig with SIGPIPE once
  # its listing outgrows the pipe (64 KiB), and pipefail would end the script.
  path=$("${LDCONFIG:-/sbin/ldconfig}" -p | awk -v n="$soname" '$1 == n && /x86-64/ && found == "" { found = $NF } END { print found }')
  if [ -z "$path" ]; then
    echo "package-lambda: $soname, which docpipe loads on first use, is not installed here" >&2
    exit 1
  fi
  lib_ldd=$(ldd "$path") || { echo "package-lambda: ldd failed on $path" >&2; exit 1; }
  if grep -q 'not found' <<<"$lib_ldd"; then
    echo "package-lambda: unresolved libraries of $path:" >&2
    printf '%s\n' "$lib_ldd" | grep 'not found' >&2
    exit 1
  fi
  pack_libraries <<EOF
$soname => $path (0x0)
$lib_ldd
EOF
done < "$on_demand"
if [ -z "$loader" ]; then
  echo "package-lambda: no x86-64 dynamic loader in ldd's output for $binary" >&2
  exit 1
fi
cp -L "$loader" "$stage/lib/ld-linux-x86-64.so.2"
cp -L "$binary" "$stage/docpipe"
chmod 0755 "$stage/docpipe" "$stage/lib/ld-linux-x86-64.so.2"
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$stage/certs/ca-certificates.crt"
fi

cat >"$stage/bootstrap" <<'EOF'
#!/bin/sh
# AWS Lambda custom-runtime entry point (provided.al2023) for docpipe, written
# by deploy/package-lambda.sh. docpipe and its libraries (glibc included) come
# from Debian 12; the bundled dynamic loader runs it with those libraries only.
set -eu
root=${LAMBDA_TASK_ROOT:-$(dirname "$0")}
# libcurl from Debian looks for /etc/ssl/certs/ca-certificates.crt; Amazon
# Linux keeps its bundle elsewhere. docpipe reads SSL_CERT_FILE.
if [ -z "${SSL_CERT_FILE:-}" ]; then
  for f in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt "$root/certs/ca-certificates.crt"; do
    if [ -r "$f" ]; then
      SSL_CERT_FILE=$f
      export SSL_CERT_FILE
      break
    fi
  done
fi
if [ "$#" -eq 0 ]; then
  set -- lambda
fi
exec "$root/lib/ld-linux-x86-64.so.2" --inhibit-cache --library-path "$root/lib" --argv0 docpipe "$root/docpipe" "$@"
EOF
chmod 0755 "$stage/bootstrap"

# Reproducible archive: fixed times (zip stores local time: UTC here), sorted
# names, no extra fields (-X), file modes kept (Lambda needs bootstrap's x bit).
find "$stage" -exec env TZ=UTC touch -h -d '1980-01-02 00:00:00' {} +
mkdir -p "$(dirname "$out")"
out_dir=$(cd "$(dirname "$out")" && pwd)
out_abs=$out_dir/$(basename "$out")
rm -f "$out_abs"
(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | TZ=UTC zip -q -X "$out_abs" -@)
echo "package-lambda: $out ($count libraries + loader, $(wc -c <"$out_abs" | tr -d ' ') bytes)" >&2
