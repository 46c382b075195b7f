#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace docpipe {

// The token count of a text built by appending to it. Greedy packing (the
// chunker) asks "how many tokens if I add this?" many times over a growing
// text; a tally answers in time proportional to what is added rather than to
// the whole text. Exact: Tokens() == Count(Text()) and CountWith(s) ==
// Count(Text() + s). Not thread-safe (one per packing loop).
class TokenTally {
 public:
  virtual ~TokenTally() = default;
  virtual size_t CountWith(std::string_view suffix) = 0;
  virtual void Append(std::string_view suffix) = 0;
  virtual size_t Tokens() const = 0;
  virtual const std::string& Text() const = 0;
};

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
  //! An empty tally. The default recounts the whole text on every call;
  //! an adapter that can count incrementally overrides it.
  virtual std::unique_ptr<TokenTally> NewTally() const;
};

using TokenizerPtr = std::unique_ptr<Tokenizer>;

// The default tally: exact by construction, as slow as counting each time.
class RecountingTally final : public TokenTally {
 public:
  explicit RecountingTally(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  size_t CountWith(std::string_view suffix) override {
    std::string all = text_;
    all += suffix;
    return tokenizer_.Count(all);
  }
  void Append(std::string_view suffix) override {
    text_ += suffix;
    tokens_ = tokenizer_.Count(text_);
  }
  size_t Tokens() const override { return tokens_; }
  const std::string& Text() const override { return text_; }

 private:
  const Tokenizer& tokenizer_;
  std::string text_;
  size_t tokens_ = 0;
};

inline std::unique_ptr<TokenTally> Tokenizer::NewTally() const { return std::make_unique<RecountingTally>(*this); }

}  // namespace docpipe
