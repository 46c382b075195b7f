#pragma once

#include "embed/embedder.h"

namespace docpipe {

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

}  // namespace docpipe
