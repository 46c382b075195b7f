#include "app/retrieval.h"

#include "common/parallel.h"
#include "embed/local_embedder.h"
#include "embed/openai_embedder.h"
#include "index/local_vector_index.h"
#include "index/pinecone_vector_index.h"

namespace docpipe {

Retrieval::~Retrieval() = default;

Result<int> EmbeddingDimension(const Config& config) {
  switch (config.embedder) {
    case EmbedderKind::kLocal:
      return config.embed_dimension;
    case EmbedderKind::kOpenAi:
      return OpenAiEmbeddingDimension(config.embedding_model, config.openai.dimensions);
  }
  return Status::Internal("unknown embedder");
}

Result<Embedder*> Retrieval::embedder() {
  std::lock_guard lock(mu_);
  if (embedder_) return embedder_.get();
  const Config& config = storage_.config();
  Result<EmbedderPtr> embedder = Status::Internal("no embedder");
  switch (config.embedder) {
    case EmbedderKind::kLocal:
      embedder = NewLocalEmbedderChecked({config.embed_dimension, EffectiveThreads(config.document_threads)});
      break;
    case EmbedderKind::kOpenAi: {
      Result<std::string> key = storage_.Secret("OPENAI_API_KEY");
      if (!key.ok()) return key.status().Annotate("OpenAI");
      OpenAiEmbedderOptions oo;
      oo.base_url = config.openai.base_url;
      oo.api_key = std::move(*key);
      oo.model = config.embedding_model;
      oo.dimensions = config.openai.dimensions;
      oo.requests_per_minute = config.openai.requests_per_minute;
      oo.tokens_per_minute = config.openai.tokens_per_minute;
      oo.concurrency = config.openai.concurrency;
      embedder = NewOpenAiEmbedder(storage_.http(), storage_.clock(), oo);
      if (!embedder.ok()) return embedder.status().Annotate("OpenAI embedder");
      break;
    }
  }
  if (!embedder.ok()) return embedder.status();
  embedder_ = std::move(*embedder);
  storage_.logger().Debug("embedder_opened", {{"model", embedder_->Model()}});
  return embedder_.get();
}

Result<VectorIndex*> Retrieval::index() {
  std::lock_guard lock(mu_);
  if (index_) return index_.get();
  const Config& config = storage_.config();
  // The index holds what the embedder makes: its dimension decides.
  Result<int> dimension = EmbeddingDimension(config);
  if (!dimension.ok()) return dimension.status();
  Result<VectorIndexPtr> index = Status::Internal("no vector store");
  switch (config.vector_store) {
    case VectorStoreKind::kLocal: {
      LocalVectorIndexOptions options;
      options.directory = config.IndexDir();
      options.dimension = *dimension;
      options.logger = &storage_.logger();
      options.clock = &storage_.clock();
      index = NewLocalVectorIndex(options);
      if (!index.ok()) return index.status().Annotate("vector index " + config.IndexDir());
      break;
    }
    case VectorStoreKind::kPinecone: {
      Result<std::string> key = storage_.Secret("PINECONE_API_KEY");
      if (!key.ok()) return key.status().Annotate("Pinecone");
      PineconeOptions po;
      po.api_key = std::move(*key);
      po.index_name = config.pinecone.index;
      po.namespace_ = config.pinecone.name_space;
      po.index_host = config.pinecone.index_host;
      po.controller_host = config.pinecone.controller_host;
      po.cloud = config.pinecone.cloud;
      po.region = config.pinecone.region;
      po.dimension = *dimension;
      index = NewPineconeVectorIndex(storage_.http(), storage_.clock(), po);
      if (!index.ok()) return index.status().Annotate("Pinecone index " + config.pinecone.index);
      break;
    }
  }
  index_ = std::move(*index);
  storage_.logger().Debug("vector_index_opened", {{"dimension", *dimension}});
  return index_.get();
}

}  // namespace docpipe
