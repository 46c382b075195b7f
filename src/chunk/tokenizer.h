#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace docpipe {

// Counts tokens the way the embedding model will. Thread-safe.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  //! Name recorded in chunks/ ("estimate-v1", "cl100k_base").
  virtual std::string Name() const = 0;
  virtual size_t Count(std::string_view text) const = 0;
};

using TokenizerPtr = std::unique_ptr<Tokenizer>;

// A documented estimate of OpenAI BPE counts (see tokenizer.cpp) until the
// exact tokenizers land; errs on the high side so budgets are not exceeded.
TokenizerPtr NewEstimateTokenizer();

}  // namespace docpipe
