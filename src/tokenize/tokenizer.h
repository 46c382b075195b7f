#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace docpipe {

// The Tokenizer port: counts tokens the way the embedding model will, so the
// chunker's budgets hold for the model. The adapter is the exact BPE
// tokenizer beside it (tokenize/bpe_tokenizer.h). Thread-safe.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  //! Name recorded in chunks/ (the encoding: "cl100k_base").
  virtual std::string Name() const = 0;
  //! Tokens of `text`; never fails (invalid UTF-8 counts as its repair).
  virtual size_t Count(std::string_view text) const = 0;
};

using TokenizerPtr = std::unique_ptr<Tokenizer>;

}  // namespace docpipe
