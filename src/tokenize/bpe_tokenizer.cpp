// Exact tiktoken BPE. Text is cut into pieces by the encoding's regex (PCRE2,
// JIT-compiled, pattern rewritten at build time so its character classes match
// JavaScript's exactly); each piece is looked up whole, else merged bytewise.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "tokenize/bpe_merge.h"
#include "tokenize/bpe_tokenizer.h"
#include "tokenize/embedded_tables.h"
#include "tokenize/rank_table.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

constexpr std::string_view kMagic = "DPBPE01\n";
constexpr std::string_view kTrailer = "END!";
// A JIT stack for matches that outgrow PCRE2's default 32 KiB (not expected
// with these patterns; kept so pathological input cannot fail an Encode).
constexpr size_t kMaxJitStack = 64 << 20;

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};

// Bounds-checked reader over the embedded table.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  std::string_view Bytes(size_t n) {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return {};
    }
    const std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  uint32_t U32() {
    const std::string_view b = Bytes(4);
    if (!ok_) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(b.data());
    return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
  }
  uint8_t U8() {
    const std::string_view b = Bytes(1);
    return ok_ ? static_cast<uint8_t>(b[0]) : 0;
  }
  std::string_view Str() { return Bytes(U32()); }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// One encoding's immutable data, shared by all its tokenizers.
struct Vocab {
  std::string name;
  std::vector<std::string_view> tokens;  // by rank, views into the embedded table
  std::unique_ptr<RankTable> ranks;
  std::vector<std::pair<std::string, uint32_t>> specials;
  std::unique_ptr<pcre2_code, CodeDeleter> regex;
  bool jit = false;
};

Result<std::shared_ptr<const Vocab>> BuildVocab(const std::string& encoding) {
  const std::string_view data = EmbeddedBpeTable(encoding);
  if (data.empty()) return Status::Internal("no embedded rank table for " + encoding);
  auto bad = [&](const std::string& what) {
    return Status::Internal(fmt::format("embedded rank table of {} is corrupt: {}", encoding, what));
  };
  Reader r(data);
  if (r.Bytes(kMagic.size()) != kMagic) return bad("bad magic");
  auto vocab = std::make_shared<Vocab>();
  vocab->name = std::string(r.Str());
  r.Str();  // the pattern as js-tiktoken ships it (kept for reference)
  const std::string pattern(r.Str());
  const std::string pcre_unicode(r.Str());
  r.Str();  // the Unicode version the classes follow (pinned data, tools/bpe_unicode.mjs)
  r.Str();  // source package and version
  const uint32_t n_special = r.U32();
  for (uint32_t i = 0; i < n_special && r.ok(); ++i) {
    const uint32_t id = r.U32();
    vocab->specials.emplace_back(std::string(r.Str()), id);
  }
  const uint32_t n_runs = r.U32();
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n_runs && r.ok(); ++i) {
    const uint32_t start = r.U32();
    const uint32_t count = r.U32();
    runs.emplace_back(start, count);
    total += count;
  }
  if (!r.ok() || total > (1u << 24)) return bad("header");
  for (const auto& [start, count] : runs) {
    if (static_cast<uint64_t>(start) + count > (1u << 24)) return bad("rank out of range");
    if (vocab->tokens.size() < start + count) vocab->tokens.resize(start + count);
    for (uint32_t k = 0; k < count; ++k) {
      const uint8_t len = r.U8();
      vocab->tokens[start + k] = r.Bytes(len);
    }
  }
  if (r.Bytes(kTrailer.size()) != kTrailer || !r.AtEnd()) return bad("trailer");
  vocab->ranks = std::make_unique<RankTable>(vocab->tokens);
  for (int b = 0; b < 256; ++b) {
    // BPE relies on every single byte being a token.
    const char c = static_cast<char>(b);
    if (vocab->ranks->Find(std::string_view(&c, 1)) == kNoRank) return bad(fmt::format("byte {} is not a token", b));
  }

  // The pattern's classes were reconciled with this Unicode version of PCRE2.
  char version[64] = {0};
  pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, version);
  if (pcre_unicode != version) {
    return Status::Internal(fmt::format(
        "{}: the rank table was built against libpcre2 with Unicode {}, but this libpcre2 has Unicode {}; "
        "rebuild docpipe so the pre-tokeniser matches tiktoken exactly",
        encoding, pcre_unicode, version));
  }
  int err = 0;
  PCRE2_SIZE err_off = 0;
  vocab->regex.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &err_off, nullptr));
  if (!vocab->regex) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    return bad(fmt::format("pattern does not compile at {}: {}", err_off, reinterpret_cast<char*>(msg)));
  }
  vocab->jit = pcre2_jit_compile(vocab->regex.get(), PCRE2_JIT_COMPLETE) == 0;
  return std::shared_ptr<const Vocab>(std::move(vocab));
}

// Parsed once per process and encoding; immutable afterwards, so sharing it
// between threads and tokenizers needs no locking (C++ guarantees the
// function-local statics are initialised exactly once).
Result<std::shared_ptr<const Vocab>> SharedVocab(const std::string& encoding) {
  if (encoding == "cl100k_base") {
    static const Result<std::shared_ptr<const Vocab>> vocab = BuildVocab(encoding);
    return vocab;
  }
  if (encoding == "o200k_base") {
    static const Result<std::shared_ptr<const Vocab>> vocab = BuildVocab(encoding);
    return vocab;
  }
  return Status::NotFound(fmt::format("unknown encoding '{}' (supported: cl100k_base, o200k_base)", encoding));
}

class BpeTokenizerImpl final : public BpeTokenizer {
 public:
  explicit BpeTokenizerImpl(std::shared_ptr<const Vocab> vocab) : v_(std::move(vocab)) {}

  std::string Name() const override { return v_->name; }

  size_t Count(std::string_view text) const override {
    std::string repaired;
    if (!IsValidUtf8(text)) {
      repaired = RepairUtf8(text);
      text = repaired;
    }
    Matcher m(*v_);
    return CountOrdinary(m, text, nullptr);
  }

  std::unique_ptr<TokenTally> NewTally() const override;

  std::vector<uint32_t> Encode(std::string_view text, const EncodeOptions& options) const override {
    std::vector<uint32_t> out;
    out.reserve(text.size() / 4 + 4);
    std::string repaired;
    if (!IsValidUtf8(text)) {
      repaired = RepairUtf8(text);
      text = repaired;
    }
    std::vector<std::pair<std::string_view, uint32_t>> allowed;
    for (const auto& [special, id] : v_->specials) {
      if (options.allow_all_special ||
          std::find(options.allowed_special.begin(), options.allowed_special.end(), special) !=
              options.allowed_special.end()) {
        allowed.emplace_back(special, id);
      }
    }
    Matcher m(*v_);
    size_t start = 0;
    while (true) {
      // The next allowed special token; the text before it is ordinary text.
      size_t at = std::string_view::npos;
      uint32_t id = 0;
      size_t len = 0;
      for (const auto& [special, sid] : allowed) {
        const size_t p = text.find(special, start);
        if (p < at) {
          at = p;
          id = sid;
          len = special.size();
        }
      }
      const size_t end = at == std::string_view::npos ? text.size() : at;
      EncodeOrdinary(m, text.substr(start, end - start), &out);
      if (at == std::string_view::npos) break;
      out.push_back(id);
      start = at + len;
    }
    return out;
  }

  Result<std::string> Decode(std::span<const uint32_t> ids) const override {
    std::string out;
    for (const uint32_t id : ids) {
      if (id < v_->tokens.size() && !v_->tokens[id].empty()) {
        out.append(v_->tokens[id]);
        continue;
      }
      const auto it = std::find_if(v_->specials.begin(), v_->specials.end(),
                                   [&](const auto& s) { return s.second == id; });
      if (it == v_->specials.end()) {
        return Status::InvalidInput(fmt::format("token id {} is not in {}", id, v_->name));
      }
      out.append(it->first);
    }
    return out;
  }

  std::optional<uint32_t> SpecialTokenId(std::string_view text) const override {
    for (const auto& [special, id] : v_->specials) {
      if (special == text) return id;
    }
    return std::nullopt;
  }

 private:
  // Per-call match state (PCRE2 match data is not shareable between threads).
  struct Matcher {
    explicit Matcher(const Vocab& v)
        : code(v.regex.get()), jit(v.jit), data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
    // Next match at or after `pos`; false when there is none.
    bool Next(std::string_view subject, size_t pos, size_t* begin, size_t* end) {
      const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
      int rc = jit ? pcre2_jit_match(code, s, subject.size(), pos, 0, data.get(), context.get())
                   : pcre2_match(code, s, subject.size(), pos, PCRE2_NO_UTF_CHECK, data.get(), context.get());
      if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !stack) {
        stack.reset(pcre2_jit_stack_create(32 << 10, kMaxJitStack, nullptr));
        context.reset(pcre2_match_context_create(nullptr));
        pcre2_jit_stack_assign(context.get(), nullptr, stack.get());
        return Next(subject, pos, begin, end);
      }
      if (rc < 0) return false;  // no match (or a resource limit: the rest stays untokenised)
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
      *begin = ov[0];
      *end = ov[1];
      return true;
    }
    pcre2_code* code;
    bool jit;
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> data;
    std::unique_ptr<pcre2_jit_stack, JitStackDeleter> stack;
    std::unique_ptr<pcre2_match_context, MatchContextDeleter> context;
  };

  // Calls on_piece(offset, piece) for each pre-tokenised piece of `text`.
  // Like js-tiktoken's matchAll: text between matches (which the patterns
  // never leave) would be skipped, and an empty match advances one character.
  template <typename OnPiece>
  static void ForEachPiece(Matcher& m, std::string_view text, OnPiece&& on_piece) {
    size_t pos = 0;
    size_t begin = 0, end = 0;
    while (pos < text.size() && m.Next(text, pos, &begin, &end)) {
      if (end == begin) {
        pos = end + 1;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
        continue;
      }
      on_piece(begin, text.substr(begin, end - begin));
      pos = end;
    }
  }

  void EncodeOrdinary(Matcher& m, std::string_view text, std::vector<uint32_t>* out) const {
    const RankTable& ranks = *v_->ranks;
    ForEachPiece(m, text, [&](size_t, std::string_view piece) {
      const uint32_t whole = ranks.Find(piece);
      if (whole != kNoRank) {
        out->push_back(whole);
      } else {
        BytePairEncode(ranks, piece, out);
      }
    });
  }

  // Tokens of `text` as ordinary text (no special tokens), without building
  // the ids; `pieces`, when given, receives each piece's offset and tokens.
  size_t CountOrdinary(Matcher& m, std::string_view text, std::vector<std::pair<size_t, size_t>>* pieces) const {
    const RankTable& ranks = *v_->ranks;
    std::vector<uint32_t> merged;
    size_t total = 0;
    ForEachPiece(m, text, [&](size_t offset, std::string_view piece) {
      size_t n = 1;
      if (ranks.Find(piece) == kNoRank) {
        merged.clear();
        BytePairEncode(ranks, piece, &merged);
        n = merged.size();
      }
      if (pieces != nullptr) pieces->emplace_back(offset, n);
      total += n;
    });
    return total;
  }

  friend class BpeTally;
  std::shared_ptr<const Vocab> v_;
};

// Appending text can change only the pieces at its end: the pattern's
// matches stop where the kind of character changes (letters, digits,
// punctuation, white space), and only the last pieces can reach into what is
// appended (a digit run grows to three, white space before a word becomes
// its leading space, a newline joins a punctuation run). Pieces before the
// last kUnsettledPieces are settled: their tokens are kept, and each call
// re-counts only the unsettled tail plus what is added. Exactness is checked
// against Count on random and real text (bpe_tokenizer_test, bench_chunk).
constexpr size_t kUnsettledPieces = 3;

class BpeTally final : public TokenTally {
 public:
  explicit BpeTally(const BpeTokenizerImpl& tokenizer) : tok_(tokenizer), matcher_(*tokenizer.v_) {}

  size_t CountWith(std::string_view suffix) override {
    // Invalid UTF-8 is repaired as a whole text (a sequence may straddle
    // the join), so such text is simply counted whole.
    if (!exact_ || !IsValidUtf8(suffix)) {
      std::string all = text_;
      all += suffix;
      return tok_.Count(all);
    }
    scratch_.assign(text_, settled_, std::string::npos);
    scratch_ += suffix;
    return settled_tokens_ + tok_.CountOrdinary(matcher_, scratch_, nullptr);
  }

  void Append(std::string_view suffix) override {
    text_ += suffix;
    if (exact_ && !IsValidUtf8(suffix)) exact_ = false;
    if (!exact_) {
      tail_tokens_ = tok_.Count(text_);
      return;
    }
    pieces_.clear();
    const std::string_view tail = std::string_view(text_).substr(settled_);
    size_t tail_tokens = tok_.CountOrdinary(matcher_, tail, &pieces_);
    if (pieces_.size() > kUnsettledPieces) {
      const size_t first_unsettled = pieces_.size() - kUnsettledPieces;
      for (size_t i = 0; i < first_unsettled; ++i) {
        settled_tokens_ += pieces_[i].second;
        tail_tokens -= pieces_[i].second;
      }
      settled_ += pieces_[first_unsettled].first;
    }
    tail_tokens_ = tail_tokens;
  }

  size_t Tokens() const override { return exact_ ? settled_tokens_ + tail_tokens_ : tail_tokens_; }
  const std::string& Text() const override { return text_; }

 private:
  const BpeTokenizerImpl& tok_;
  BpeTokenizerImpl::Matcher matcher_;
  std::string text_;
  bool exact_ = true;          // false once invalid UTF-8 was appended: recount whole
  size_t settled_ = 0;         // offset in text_ where the unsettled pieces start
  size_t settled_tokens_ = 0;  // tokens of text_[0, settled_)
  size_t tail_tokens_ = 0;     // tokens of text_[settled_, end) (of all of text_ when !exact_)
  std::vector<std::pair<size_t, size_t>> pieces_;
  std::string scratch_;
};

std::unique_ptr<TokenTally> BpeTokenizerImpl::NewTally() const { return std::make_unique<BpeTally>(*this); }

// "ft:gpt-4o-mini:org::id" -> "gpt-4o-mini"; "openai/gpt-4o" -> "gpt-4o".
std::string BaseModel(std::string model) {
  if (model.rfind("openai/", 0) == 0) model = model.substr(7);
  if (model.rfind("ft:", 0) == 0) {
    model = model.substr(3);
    model = model.substr(0, model.find(':'));
  }
  return model;
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::vector<std::string> SupportedEncodings() { return {"cl100k_base", "o200k_base"}; }

Result<BpeTokenizerPtr> OpenBpeTokenizer(const std::string& encoding) {
  Result<std::shared_ptr<const Vocab>> vocab = SharedVocab(encoding);
  if (!vocab.ok()) return vocab.status();
  return BpeTokenizerPtr(std::make_unique<BpeTokenizerImpl>(vocab.value()));
}

Result<TokenizerPtr> NewBpeTokenizer(const std::string& encoding) {
  Result<BpeTokenizerPtr> t = OpenBpeTokenizer(encoding);
  if (!t.ok()) return t.status();
  return TokenizerPtr(std::move(t).value());
}

std::optional<std::string> KnownEncodingForModel(const std::string& name) {
  const std::string model = BaseModel(name);
  // Checked before the gpt-4 family: these prefixes start the same way.
  for (std::string_view p : {"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o"}) {
    if (StartsWith(model, p)) return std::string("o200k_base");
  }
  for (std::string_view p : {"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002", "gpt-4",
                             "gpt-3.5-turbo", "gpt-35-turbo"}) {
    if (StartsWith(model, p)) return std::string("cl100k_base");
  }
  return std::nullopt;
}

std::string EncodingForModel(const std::string& model) {
  return KnownEncodingForModel(model).value_or("cl100k_base");
}

}  // namespace docpipe
