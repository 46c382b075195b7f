#pragma once

#include <string>

#include "index/vector_index.h"

namespace docpipe {

struct LocalVectorIndexOptions {
  std::string directory;  // holds index.db (SQLite: metadata, vectors, FTS5) and hnsw.bin
  int dimension = 512;
  int hnsw_m = 16;
  int hnsw_ef_construction = 200;
  int hnsw_ef_search = 64;
  int rrf_k = 60;  // reciprocal rank fusion constant
};

// The embedded index: hnswlib (cosine) for vectors, SQLite FTS5 (BM25) for
// keywords, chunk metadata in SQLite, fused by reciprocal rank fusion.
Result<VectorIndexPtr> NewLocalVectorIndex(LocalVectorIndexOptions options);

}  // namespace docpipe
