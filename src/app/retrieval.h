#pragma once

#include <mutex>

#include "app/storage.h"
#include "embed/embedder.h"
#include "index/vector_index.h"

namespace docpipe {

// The embedder and the vector index the configuration names, each opened on
// first use: a keyword search opens no embedder, a delete of a document the
// index never held opens no index, and only the first call pays for an API
// key (environment or Secrets Manager) or a Pinecone describe. Search,
// serve, delete and the embed and load stages (Processing) take them from
// here. Thread-safe; a failed open is tried again on the next call.
class Retrieval {
 public:
  explicit Retrieval(Storage& storage) : storage_(storage) {}
  ~Retrieval();
  Retrieval(const Retrieval&) = delete;
  Retrieval& operator=(const Retrieval&) = delete;

  //! The embedder (OpenAI: the key from OPENAI_API_KEY or its secret).
  Result<Embedder*> embedder();
  //! The vector index (Pinecone: its key, then the index described or
  //! created). Its dimension is the embedder's, taken from the configuration
  //! without opening the embedder.
  Result<VectorIndex*> index();

 private:
  Storage& storage_;
  std::mutex mu_;
  EmbedderPtr embedder_;
  VectorIndexPtr index_;
};

// The dimension of the vectors the configured embedder makes (local: the
// configured one; OpenAI: the model's, or the configured `dimensions`).
// InvalidInput for an OpenAI model docpipe does not know without dimensions.
Result<int> EmbeddingDimension(const Config& config);

}  // namespace docpipe
