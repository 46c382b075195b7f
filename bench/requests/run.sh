#!/usr/bin/env bash
# Request packing and rate limiting of the remote adapters against local fake
# services (no network, no account). One section per program.
# Usage: bench/requests/run.sh [BUILD_DIR] [NAME]   NAME runs one section only (e.g. openai)
#        (build first with -DCMAKE_BUILD_TYPE=Release)
set -euo pipefail
BUILD=${1:-build}
ONLY=${2:-}
BIN=$BUILD/bench/requests
DOCS=(/usr/share/doc/glpk-doc/*.pdf /usr/share/doc/libtasn1-doc/libtasn1.pdf)

section() {
  local name=$1
  shift
  [[ -z "$ONLY" || "$ONLY" == "$name" ]] || return 0
  echo "== $name: $*"
  "$@"
  echo
}

echo "# bench/requests $(date -u +%Y-%m-%d) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) cores"
# OpenAI embeddings: 10,000 chunk texts of the manuals, at OpenAI's tier-1 budget (1M tokens/min, 3,000 requests/min).
section openai "$BIN/bench_openai_requests" --chunks 10000 --tpm 1000000 --rpm 3000 --time-scale 20 "${DOCS[@]}"
# Pinecone upserts: 10,000 chunks of the manuals with their metadata, 512- and 1536-d vectors.
section pinecone "$BIN/bench_pinecone_requests"
