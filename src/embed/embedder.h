#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace docpipe {

struct EmbeddingBatch {
  std::vector<std::vector<float>> vectors;  // one per input, L2-normalised, Dimension() floats
  int64_t tokens = 0;                       // as the provider counts (billing)
  double cost_usd = 0;
  int64_t requests = 0;                     // remote calls made (0 for local)
};

// Turns texts into vectors. Thread-safe.
class Embedder {
 public:
  virtual ~Embedder() = default;
  //! Model name recorded with the vectors ("docpipe-hash-v1", "text-embedding-3-small").
  virtual std::string Model() const = 0;
  virtual int Dimension() const = 0;
  //! Embeds every text (the adapter batches and packs requests itself).
  //! InvalidInput for an empty text; Unavailable/Throttled from remote services.
  virtual Result<EmbeddingBatch> Embed(const std::vector<std::string>& texts) = 0;
};

using EmbedderPtr = std::unique_ptr<Embedder>;

struct LocalEmbedderOptions {
  int dimension = 512;
  int threads = 2;  // worker threads for large batches
};

// Deterministic feature-hashing embedder: signed hashes of word unigrams and
// bigrams and character n-grams, sublinear (1 + log tf) weights, L2-normalised.
// Needs no download and no network; cost 0.
// Model() is "docpipe-hash-v1-d<dimension>". Out-of-range options are clamped
// (dimension to 8..8192, threads to 1..256); use the Checked variant to get
// InvalidInput instead. tokens counts words as this embedder splits them.
EmbedderPtr NewLocalEmbedder(LocalEmbedderOptions options);
Result<EmbedderPtr> NewLocalEmbedderChecked(LocalEmbedderOptions options);

// float32 little-endian, base64 — how embeddings/ stores vectors.
std::string EncodeVectorBase64(const std::vector<float>& v);
Result<std::vector<float>> DecodeVectorBase64(const std::string& s, int dimension);

}  // namespace docpipe
