// Local, model-free embedder: signed feature hashing ("hashing trick") of
// word unigrams, content-word bigrams and character n-grams.
//
// Why this shape: with no model, lexical overlap is the only signal. Unigrams
// carry most of it; bigrams reward shared phrases; character n-grams let
// morphological variants and typos ("indexes"/"indexing", "retreival") still
// overlap. Everything is a pure function of the text, so vectors are identical
// across runs, machines and thread counts; the model name carries the
// dimension because a different dimension is an incompatible vector space.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "embed/local_embedder.h"

namespace docpipe {
namespace {

constexpr int kMinDimension = 8;
constexpr int kMaxDimension = 8192;
constexpr int kMaxThreads = 256;
// Below this many texts per worker, starting a thread costs more than it saves.
constexpr size_t kMinTextsPerThread = 16;

// Feature classes. The tag is hashed with the feature, so "ing" the word and
// "ing" the n-gram land in unrelated buckets.
enum FeatureClass : uint8_t {
  kUnigram = 0,
  kStopUnigram = 1,
  kBigram = 2,
  kCharGram = 3,
  kNumClasses = 4,
};

// Per-class weight multiplying (1 + ln tf). Char n-grams are many per word
// (about 3 per character), so each gets a small weight; a 7-letter word's
// ~18 n-grams then carry roughly as much energy as its unigram.
constexpr std::array<double, kNumClasses> kClassWeight = {
    1.0,   // content-word unigram (stemmed)
    0.25,  // stopword unigram: "not"/"no" still matter a little
    0.5,   // bigram of adjacent content words
    0.22,  // character 3..5-gram of the unstemmed word, with < > markers
};

// ---------------------------------------------------------------------------
// Hashing: FNV-1a 64 over the bytes, then a splitmix64 finaliser because
// FNV's low bits mix poorly for short keys. Stable across compilers and
// platforms, unlike std::hash.

uint64_t Fnv1a64(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t FeatureKey(FeatureClass cls, std::string_view text) {
  const char tag = static_cast<char>('0' + cls);
  return Mix64(Fnv1a64(text, Fnv1a64(std::string_view(&tag, 1))));
}

// ---------------------------------------------------------------------------
// Tokenising.

bool IsAsciiWordChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Length of the UTF-8 sequence starting with lead byte c (1 for stray
// continuation bytes, so malformed input still advances).
size_t Utf8Length(unsigned char c) {
  if (c >= 0xF0 && c <= 0xF7) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

enum class CharKind { kWord, kSeparator, kJoiner };

// Multibyte characters count as word characters (non-Latin scripts, accented
// letters) except the common punctuation and space blocks, which would
// otherwise glue words to dashes and quotes.
CharKind ClassifyMultibyte(std::string_view seq) {
  const auto b0 = static_cast<unsigned char>(seq[0]);
  const auto b1 = seq.size() > 1 ? static_cast<unsigned char>(seq[1]) : 0;
  const auto b2 = seq.size() > 2 ? static_cast<unsigned char>(seq[2]) : 0;
  if (b0 == 0xC2 && b1 >= 0xA0 && b1 <= 0xBF) {
    // U+00A0..U+00BF: NBSP, ¡ « » ° · ¿ ... except the letter-like ª µ º.
    if (b1 == 0xAA || b1 == 0xB5 || b1 == 0xBA) return CharKind::kWord;
    return CharKind::kSeparator;
  }
  if (b0 == 0xC3 && (b1 == 0x97 || b1 == 0xB7)) return CharKind::kSeparator;  // × ÷
  if (b0 == 0xE2 && b1 == 0x80 && (b2 == 0x98 || b2 == 0x99)) return CharKind::kJoiner;  // ‘ ’
  if (b0 == 0xE2 && b1 >= 0x80 && b1 <= 0x81) return CharKind::kSeparator;  // U+2000..U+207F
  if (b0 == 0xE3 && b1 == 0x80) return CharKind::kSeparator;                // U+3000..U+303F
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return CharKind::kSeparator;  // BOM
  if (b0 == 0xEF && b1 == 0xBC) {  // fullwidth ！ … ／ and ：… ＠ (not digits)
    if ((b2 >= 0x81 && b2 <= 0x8F) || (b2 >= 0x9A && b2 <= 0xA0)) return CharKind::kSeparator;
  }
  return CharKind::kWord;
}

// Lower-cased words: runs of ASCII letters/digits and multibyte characters.
// Apostrophes inside a word are dropped ("don't" -> "dont") so contractions
// stay one token.
std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (IsAsciiWordChar(c)) {
        cur.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
      } else if (c == '\'' && !cur.empty()) {
        // joiner: skip, keep the word open
      } else if (!cur.empty()) {
        words.push_back(std::move(cur));
        cur.clear();
      }
      ++i;
      continue;
    }
    const size_t len = std::min(Utf8Length(c), text.size() - i);
    const std::string_view seq = text.substr(i, len);
    switch (ClassifyMultibyte(seq)) {
      case CharKind::kWord:
        cur.append(seq);
        break;
      case CharKind::kJoiner:
        break;
      case CharKind::kSeparator:
        if (!cur.empty()) {
          words.push_back(std::move(cur));
          cur.clear();
        }
        break;
    }
    i += len;
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

// ---------------------------------------------------------------------------
// Stemming: a deliberately small subset of Porter step 1 plus a final-e and
// y->i rule, enough to merge plural/-ing/-ed/base forms ("configure",
// "configured", "configuring" -> "configur"; "queries", "query" -> "queri").
// Over-stemming a few words is harmless here: the stem is only a hash key.

bool IsVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

bool HasVowel(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return IsVowel(c) || c == 'y'; });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsAsciiLetters(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::string Stem(std::string w) {
  // Only plain lower-case ASCII words of some length: numbers, short words
  // and other scripts pass through untouched.
  if (w.size() <= 3 || !IsAsciiLetters(w)) return w;

  // Plurals.
  if (EndsWith(w, "sses")) {
    w.resize(w.size() - 2);
  } else if (EndsWith(w, "ies")) {
    w.resize(w.size() - 2);  // queries -> queri
  } else if (EndsWith(w, "es") && w.size() > 4 &&
             (EndsWith(w, "xes") || EndsWith(w, "zes") || EndsWith(w, "ches") ||
              EndsWith(w, "shes"))) {
    w.resize(w.size() - 2);  // indexes -> index, matches -> match
  } else if (EndsWith(w, "s") && !EndsWith(w, "ss") && !EndsWith(w, "us") &&
             !EndsWith(w, "is")) {
    w.pop_back();  // tables -> table; keeps class, status, analysis
  }

  // -ing / -ed, only when a vowel remains (keeps "sing", "bed", "need").
  bool stripped = false;
  if (EndsWith(w, "ing") && w.size() >= 6 && HasVowel(std::string_view(w).substr(0, w.size() - 3))) {
    w.resize(w.size() - 3);
    stripped = true;
  } else if (EndsWith(w, "ied") && w.size() >= 5) {
    w.resize(w.size() - 2);  // copied -> copi
  } else if (EndsWith(w, "ed") && !EndsWith(w, "eed") && w.size() >= 5 &&
             HasVowel(std::string_view(w).substr(0, w.size() - 2))) {
    w.resize(w.size() - 2);
    stripped = true;
  }
  if (stripped && w.size() >= 3) {
    // running -> runn -> run; stopped -> stopp -> stop (but keep -ll, -ss, -zz).
    const char a = w[w.size() - 1];
    const char b = w[w.size() - 2];
    if (a == b && !IsVowel(a) && a != 'l' && a != 's' && a != 'z') w.pop_back();
  }

  // Normalise endings shared by base and inflected forms.
  if (w.size() >= 4 && w.back() == 'e') {
    w.pop_back();  // configure -> configur (matches configur|ing)
  } else if (w.size() >= 4 && w.back() == 'y' && !IsVowel(w[w.size() - 2])) {
    w.back() = 'i';  // query -> queri (matches queri|es)
  }
  return w;
}

// A compact English stopword list (function words only). Stopwords keep a
// reduced weight rather than being dropped: "not" and "no" can matter.
const std::unordered_set<std::string_view>& Stopwords() {
  static const std::unordered_set<std::string_view> kWords = {
      "a",       "about", "above", "after", "again", "against", "all",   "also",  "am",
      "an",      "and",   "any",   "are",   "as",    "at",      "be",    "because", "been",
      "before",  "being", "below", "between", "both", "but",    "by",    "can",   "could",
      "did",     "do",    "does",  "doing", "down",  "during",  "each",  "either", "else",
      "few",     "for",   "from",  "further", "had", "has",     "have",  "having", "he",
      "her",     "here",  "hers",  "herself", "him", "himself", "his",   "how",   "i",
      "if",      "in",    "into",  "is",    "it",    "its",     "itself", "just", "may",
      "me",      "might", "more",  "most",  "must",  "my",      "myself", "no",   "nor",
      "not",     "now",   "of",    "off",   "on",    "once",    "only",  "or",    "other",
      "our",     "ours",  "ourselves", "out", "over", "own",    "same",  "shall", "she",
      "should",  "so",    "some",  "such",  "than",  "that",    "the",   "their", "theirs",
      "them",    "themselves", "then", "there", "these", "they", "this", "those", "through",
      "to",      "too",   "under", "until", "up",    "us",      "very",  "was",   "we",
      "were",    "what",  "when",  "where", "which", "while",   "who",   "whom",  "whose",
      "why",     "will",  "with",  "would", "you",   "your",    "yours", "yourself",
      "yourselves", "via", "per",  "etc",   "let",   "lets",    "get",   "gets",  "got",
  };
  return kWords;
}

// ---------------------------------------------------------------------------
// Per-text feature extraction and projection.

// Term-frequency counter keyed by 64-bit feature key. Entries are kept in
// first-seen order and the probe sequence is our own, so the floating-point
// summation order (hence every bit of the output) is the same on every
// platform; a hash map's iteration order would not be, and sorting cost a
// third of the run time.
class FeatureCounter {
 public:
  struct Entry {
    uint64_t key;
    uint32_t count;
    FeatureClass cls;
  };

  void Clear() {
    entries_.clear();
    std::fill(slots_.begin(), slots_.end(), kEmpty);
  }

  void Add(FeatureClass cls, uint64_t key) {
    if ((entries_.size() + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
      const uint32_t slot = slots_[i];
      if (slot == kEmpty) {
        slots_[i] = static_cast<uint32_t>(entries_.size());
        entries_.push_back({key, 1, cls});
        return;
      }
      if (entries_[slot].key == key) {
        ++entries_[slot].count;
        return;
      }
    }
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static constexpr uint32_t kEmpty = 0xffffffffu;

  void Grow() {
    slots_.assign(std::max<size_t>(1024, slots_.size() * 2), kEmpty);
    const size_t mask = slots_.size() - 1;
    for (size_t e = 0; e < entries_.size(); ++e) {
      size_t i = entries_[e].key & mask;
      while (slots_[i] != kEmpty) i = (i + 1) & mask;
      slots_[i] = static_cast<uint32_t>(e);
    }
  }

  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // index into entries_, or kEmpty
};

// Streams "<word>"'s code-point n-grams without building them: the FNV state
// is fed the same bytes as the materialised string would give.
void AddCharGrams(std::string_view word, std::vector<size_t>& cp, FeatureCounter& counter) {
  cp.clear();
  for (size_t i = 0; i < word.size();) {
    cp.push_back(i);
    i += std::min(Utf8Length(static_cast<unsigned char>(word[i])), word.size() - i);
  }
  cp.push_back(word.size());
  const size_t m = cp.size() - 1;  // code points in word; "<word>" has m + 2
  const char tag = static_cast<char>('0' + kCharGram);
  const uint64_t seed = Fnv1a64(std::string_view(&tag, 1));
  for (size_t n = 3; n <= 5; ++n) {
    if (m + 2 < n) break;
    // Virtual position p: 0 is '<', 1..m the word's code points, m+1 is '>'.
    for (size_t s = 0; s + n <= m + 2; ++s) {
      const size_t e = s + n;  // exclusive
      uint64_t h = seed;
      if (s == 0) h = Fnv1a64("<", h);
      const size_t from = s == 0 ? 0 : s - 1;
      const size_t to = std::min(e - 1, m);
      if (to > from) h = Fnv1a64(word.substr(cp[from], cp[to] - cp[from]), h);
      if (e == m + 2) h = Fnv1a64(">", h);
      counter.Add(kCharGram, Mix64(h));
    }
  }
}

// Returns the number of words.
int64_t ExtractFeatures(std::string_view text, FeatureCounter& counter, std::vector<size_t>& cp) {
  counter.Clear();
  const std::vector<std::string> words = SplitWords(text);
  const auto& stop = Stopwords();

  std::string prev_content;  // previous content-word stem, for bigrams
  const char bigram_tag = static_cast<char>('0' + kBigram);
  const uint64_t bigram_seed = Fnv1a64(std::string_view(&bigram_tag, 1));
  for (const std::string& word : words) {
    if (stop.count(word) > 0) {
      counter.Add(kStopUnigram, FeatureKey(kStopUnigram, word));
      continue;  // stopwords neither break nor join bigrams, and add no n-grams
    }
    std::string stem = Stem(word);
    counter.Add(kUnigram, FeatureKey(kUnigram, stem));
    if (!prev_content.empty()) {  // key of "<prev> <stem>"
      const uint64_t h = Fnv1a64(stem, Fnv1a64(" ", Fnv1a64(prev_content, bigram_seed)));
      counter.Add(kBigram, Mix64(h));
    }
    prev_content = std::move(stem);
    // On the unstemmed word, so n-grams also see suffixes the stemmer does not know.
    AddCharGrams(word, cp, counter);
  }
  return static_cast<int64_t>(words.size());
}

// Adds weight w for feature `key` into two signed buckets (each w/sqrt 2):
// a collision then corrupts half a feature, not all of it. Bucket index uses
// the low 32 bits (multiply-shift, no modulo bias), sign the top bit, and
// the second bucket a re-mixed key.
void AddFeature(uint64_t key, double w, std::vector<double>& acc) {
  const uint64_t dim = acc.size();
  const double half = w * 0.70710678118654752440;
  const uint64_t k2 = Mix64(key ^ 0x9e3779b97f4a7c15ULL);
  for (uint64_t k : {key, k2}) {
    const uint64_t bucket = ((k & 0xffffffffULL) * dim) >> 32;
    acc[bucket] += (k >> 63) ? -half : half;
  }
}

// Per-worker buffers, reused across that worker's texts.
struct Scratch {
  FeatureCounter counter;
  std::vector<size_t> cp;
  std::vector<double> acc;
};

std::vector<float> EmbedOne(std::string_view text, int dimension, Scratch& scratch, int64_t* words) {
  *words = ExtractFeatures(text, scratch.counter, scratch.cp);
  std::vector<double>& acc = scratch.acc;
  acc.assign(static_cast<size_t>(dimension), 0.0);
  for (const FeatureCounter::Entry& e : scratch.counter.entries()) {
    AddFeature(e.key, kClassWeight[e.cls] * (1.0 + std::log(static_cast<double>(e.count))), acc);
  }
  double norm2 = 0;
  for (double x : acc) norm2 += x * x;
  if (norm2 <= 0) {
    // Punctuation-only text (or, vanishingly rarely, exact cancellation): a
    // fixed unit vector instead of 0/0 = NaN. One bucket, so it cannot cancel.
    std::fill(acc.begin(), acc.end(), 0.0);
    const uint64_t k = FeatureKey(kUnigram, "<empty>");
    acc[((k & 0xffffffffULL) * acc.size()) >> 32] = (k >> 63) ? -1.0 : 1.0;
    norm2 = 1.0;
  }
  const double inv = 1.0 / std::sqrt(norm2);
  std::vector<float> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i] * inv);
  return out;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

class LocalEmbedder final : public Embedder {
 public:
  using Embedder::Embed;  // the cancel flag: local batches are the stage's to interrupt
  explicit LocalEmbedder(LocalEmbedderOptions options) : options_(options) {}

  std::string Model() const override {
    return "docpipe-hash-v1-d" + std::to_string(options_.dimension);
  }
  int Dimension() const override { return options_.dimension; }

  // Token count reported: words as split by this embedder (ASCII letter/digit
  // and multibyte runs), summed over the inputs. Nothing is billed.
  Result<EmbeddingBatch> Embed(const std::vector<std::string>& texts) override {
    // Validate up front so the error names the first bad index whatever the
    // thread split, and no work is wasted on a batch that will fail.
    for (size_t i = 0; i < texts.size(); ++i) {
      if (IsBlank(texts[i])) return Status::InvalidInput("empty input at index " + std::to_string(i));
    }
    EmbeddingBatch batch;
    batch.vectors.resize(texts.size());
    std::vector<int64_t> words(texts.size(), 0);

    // Contiguous slices, each worker writing only its own slots: no locks,
    // and each vector depends only on its text, so output is identical for
    // any thread count.
    auto run = [&](size_t begin, size_t end) {
      Scratch scratch;
      for (size_t i = begin; i < end; ++i) {
        batch.vectors[i] = EmbedOne(texts[i], options_.dimension, scratch, &words[i]);
      }
    };
    const size_t n = texts.size();
    const size_t workers =
        std::clamp<size_t>(n / kMinTextsPerThread, 1, static_cast<size_t>(options_.threads));
    if (workers <= 1) {
      run(0, n);
    } else {
      std::vector<std::exception_ptr> errors(workers);
      std::vector<std::thread> pool;
      pool.reserve(workers - 1);
      auto guarded = [&](size_t w) {
        try {
          run(n * w / workers, n * (w + 1) / workers);
        } catch (...) {
          errors[w] = std::current_exception();  // e.g. bad_alloc; rethrown below
        }
      };
      for (size_t w = 1; w < workers; ++w) pool.emplace_back(guarded, w);
      guarded(0);  // the calling thread takes the first slice
      for (std::thread& t : pool) t.join();
      for (const std::exception_ptr& e : errors) {
        if (e) std::rethrow_exception(e);
      }
    }
    for (int64_t w : words) batch.tokens += w;
    batch.cost_usd = 0;
    batch.requests = 0;
    return batch;
  }

 private:
  const LocalEmbedderOptions options_;
};

Status ValidateOptions(const LocalEmbedderOptions& o) {
  if (o.dimension < kMinDimension || o.dimension > kMaxDimension) {
    return Status::InvalidInput("local embedder dimension " + std::to_string(o.dimension) +
                                " outside " + std::to_string(kMinDimension) + ".." +
                                std::to_string(kMaxDimension));
  }
  if (o.threads < 1 || o.threads > kMaxThreads) {
    return Status::InvalidInput("local embedder threads " + std::to_string(o.threads) +
                                " outside 1.." + std::to_string(kMaxThreads));
  }
  return Status::Ok();
}

}  // namespace

EmbedderPtr NewLocalEmbedder(LocalEmbedderOptions options) {
  // Documented clamp: the factory cannot fail, so out-of-range values are
  // pulled into range. Callers that want an error use NewLocalEmbedderChecked.
  options.dimension = std::clamp(options.dimension, kMinDimension, kMaxDimension);
  options.threads = std::clamp(options.threads, 1, kMaxThreads);
  return std::make_unique<LocalEmbedder>(options);
}

Result<EmbedderPtr> NewLocalEmbedderChecked(LocalEmbedderOptions options) {
  DOCPIPE_RETURN_IF_ERROR(ValidateOptions(options));
  return EmbedderPtr(std::make_unique<LocalEmbedder>(options));
}

}  // namespace docpipe
