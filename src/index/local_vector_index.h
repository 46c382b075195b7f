#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/logger.h"
#include "index/vector_index.h"

namespace docpipe {

struct LocalVectorIndexOptions {
  std::string directory;  // holds index.db (SQLite: metadata, vectors, FTS5) and hnsw.bin
  int dimension = 512;
  int hnsw_m = 16;
  int hnsw_ef_construction = 200;
  int hnsw_ef_search = 64;
  int rrf_k = 60;  // reciprocal rank fusion constant
  // A graph missing or damaged on disk (hnsw.bin, hnsw.gen) is rebuilt from
  // index.db. Up to this many chunks at once, in the first call that needs
  // it (a few seconds: docs/architecture.md); above it in the background,
  // while vector and hybrid searches answer from BM25 alone (DenseDegraded()
  // says so) and writes go on. Then the new graph is swapped in and saved.
  int64_t sync_rebuild_max_chunks = 5'000;
  // A graph loaded from hnsw.bin answers its first searches from the file,
  // reading just the elements each visits (a few MB: a `docpipe search`),
  // and is then read into memory (the whole file: a server's later searches
  // cost a fraction of a ms instead of a few ms of reads). This many
  // searches from the file first.
  int64_t graph_file_searches = 16;
  // Runs the background rebuild on another thread; empty: a thread of the
  // index's own, joined on close (a reader cancels it first, a writer waits
  // for it). Tests pass one that runs it when they choose.
  std::function<void(std::function<void()>)> run_in_background{};
  Logger* logger = nullptr;      // the rebuild's start and end, the first degraded search; may be null
  const Clock* clock = nullptr;  // times the rebuild for the log; may be null
};

// The embedded index: hnswlib (cosine) for vectors, SQLite FTS5 (BM25) for
// keywords, chunk metadata in SQLite, fused by reciprocal rank fusion.
Result<VectorIndexPtr> NewLocalVectorIndex(LocalVectorIndexOptions options);

}  // namespace docpipe
