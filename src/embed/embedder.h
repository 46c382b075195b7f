#pragma once

#include <atomic>
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
  //! The same, ending with Cancelled once `cancel` is set (shutdown, a
  //! passed deadline): remote adapters stop between requests and abandon one
  //! in flight within about a second. Local work ignores it (the stage
  //! batches it and looks between batches).
  virtual Result<EmbeddingBatch> Embed(const std::vector<std::string>& texts, const std::atomic<bool>* cancel) {
    (void)cancel;
    return Embed(texts);
  }
};

using EmbedderPtr = std::unique_ptr<Embedder>;

// float32 little-endian, base64 — how embeddings/ stores vectors.
std::string EncodeVectorBase64(const std::vector<float>& v);
Result<std::vector<float>> DecodeVectorBase64(const std::string& s, int dimension);

}  // namespace docpipe
