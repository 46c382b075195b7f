#!/usr/bin/env bash
# Installs the Debian packages docpipe needs, only those missing (idempotent).
# Usage: scripts/install-deps.sh [build|package|test|demo|bench]
#   build: what `make build` needs (also the builder stage of deploy/Dockerfile)
#   package: build + zip (deploy/package-lambda.sh; the Dockerfile's Lambda stage)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libmupdf-dev libharfbuzz-dev libfreetype-dev libjbig2dec0-dev libopenjp2-7-dev
  libjpeg-dev libgumbo-dev libmujs-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev
  libpcre2-dev libuchardet-dev libhnswlib-dev libphonenumber-dev libcld2-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  libzip-dev libpugixml-dev libgmime-3.0-dev  # DOCX/PPTX/XLSX/ODF/EPUB containers, their XML, e-mail
  nodejs npm  # npm ci fetches the pinned BPE rank data (package-lock.json); tests run js-tiktoken
)
# Packaging the Lambda zip (deploy/package-lambda.sh).
package_pkgs=(zip)
# Tools and real documents used by tests, benchmarks and the demo (the
# deployment tests in tests/deploy use shellcheck, and Debian's AWS CLI v2).
# pandoc writes the DOCX/PPTX/ODT/EPUB/HTML/RTF test documents and is the
# formats benchmark's peer; live-manual-epub and ubuntu-packaging-guide-epub
# ship real EPUBs; clang and
# libclang-rt-14-dev build the libFuzzer targets (tests/fuzz).
test_pkgs=(qpdf mupdf-tools poppler-utils glpk-doc libtasn1-doc jq time shellcheck awscli
           pandoc live-manual-epub ubuntu-packaging-guide-epub clang libclang-rt-14-dev)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  package) want+=("${package_pkgs[@]}") ;;
  test|demo|bench) want+=("${package_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: scripts/install-deps.sh [build|package|test|demo|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node/npm from another source (e.g. NodeSource's nodejs, which bundles npm)
  # serve as well; Debian's npm would conflict with it.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "docpipe: installing missing Debian packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
