#include "enrich/key_phrase_extractor.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "enrich/text_span.h"
#include "common/utf8.h"

namespace docpipe {

namespace {

// Longer phrases are rarely repeated verbatim and read as fragments.
constexpr size_t kMaxPhraseWords = 3;

constexpr auto kStopwords = [] {
  auto a = std::to_array<std::string_view>({
      "a",       "about",   "above",      "across",     "after",      "again",        "against",
      "all",     "almost",  "also",       "although",   "always",     "am",           "among",
      "an",      "and",     "another",    "any",        "anyone",     "anything",     "are",
      "around",  "as",      "at",         "be",         "became",     "because",      "become",
      "been",    "before",  "being",      "below",      "between",    "both",         "but",
      "by",      "can",     "cannot",     "could",      "did",        "do",           "does",
      "doing",   "done",    "down",       "during",     "each",       "either",       "else",
      "enough",  "etc",     "even",       "ever",       "every",      "few",          "for",
      "from",    "further", "get",        "gets",       "given",      "gives",        "had",
      "has",     "have",    "having",     "he",         "her",        "here",         "hers",
      "herself", "him",     "himself",    "his",        "how",        "however",      "i",
      "if",      "in",      "into",       "is",         "it",         "its",          "itself",
      "just",    "least",   "less",       "let",        "like",       "made",         "make",
      "makes",   "many",    "may",        "me",         "might",      "more",         "most",
      "much",    "must",    "my",         "myself",     "neither",    "never",        "no",
      "nor",     "not",     "now",        "of",         "off",        "often",        "on",
      "once",    "one",     "only",       "or",         "other",      "others",       "otherwise",
      "our",     "ours",    "ourselves",  "out",        "over",       "own",          "per",
      "perhaps", "rather",  "same",       "several",    "she",        "should",       "since",
      "so",      "some",    "such",       "than",       "that",       "the",          "their",
      "theirs",  "them",    "themselves", "then",       "there",      "therefore",    "these",
      "they",    "this",    "those",      "though",     "through",    "thus",         "to",
      "too",     "toward",  "towards",    "under",      "until",      "up",           "upon",
      "us",      "use",     "used",       "uses",       "using",      "very",         "via",
      "was",     "we",      "well",       "were",       "what",       "when",         "where",
      "whether", "which",   "while",      "who",        "whom",       "whose",        "why",
      "will",    "with",    "within",     "without",    "would",      "yet",          "you",
      "your",    "yours",   "yourself",   "yourselves", "new",        "first",        "second",
      "e.g",     "i.e",     "instead",    "still",      "already",    "really",       "quite",
      "simply",  "mainly",  "mostly",     "usually",    "especially", "particularly", "actually",
      "certain", "due",
  });
  std::sort(a.begin(), a.end());
  return a;
}();

bool IsStopword(std::string_view w) { return std::binary_search(kStopwords.begin(), kStopwords.end(), w); }

// Letters and digits of any script, roughly: ASCII alphanumerics and
// non-ASCII code points outside the punctuation and symbol blocks.
bool IsWordChar(char32_t cp) {
  if (cp < 0x80) return IsAsciiAlnum(static_cast<char>(cp));
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, arrows, math, box drawing
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFF00 && cp <= 0xFF20) return false;  // fullwidth punctuation
  return true;
}

struct Token {
  size_t begin, end;
  std::string lower;
  bool content;  // may be part of a phrase
};

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    size_t len;
    char32_t cp = DecodeUtf8(text, i, &len);
    if (!IsWordChar(cp)) {
      i += len;
      continue;
    }
    Token t{i, i, {}, false};
    bool letter = false;
    size_t j = i;
    while (j < text.size()) {
      size_t l;
      char32_t c = DecodeUtf8(text, j, &l);
      if (IsWordChar(c)) {
        letter |= !(c >= '0' && c <= '9');
        t.lower.append(text.substr(j, l));
        j += l;
        continue;
      }
      // Hyphens and apostrophes join words ("state-of-the-art", "don't").
      if (c == '-' || c == '\'' || c == 0x2019) {
        size_t l2;
        if (j + l < text.size() && IsWordChar(DecodeUtf8(text, j + l, &l2))) {
          t.lower.append(text.substr(j, l));
          j += l;
          continue;
        }
      }
      break;
    }
    t.end = j;
    for (char& c : t.lower) c = AsciiLower(c);
    t.content = letter && t.lower.size() > 1 && !IsStopword(t.lower);
    tokens.push_back(std::move(t));
    i = j;
  }
  return tokens;
}

// Whether two adjacent tokens may sit in one phrase: only blanks and at most
// one line break between them (a blank line or punctuation ends a phrase).
bool Joinable(std::string_view gap) {
  int newlines = 0;
  for (char c : gap) {
    if (c == '\n') {
      ++newlines;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return false;
    }
  }
  return newlines <= 1;
}

}  // namespace

std::vector<KeyPhrase> ExtractKeyPhrases(std::string_view text, int max_phrases) {
  std::vector<KeyPhrase> out;
  if (max_phrases <= 0) return out;
  std::vector<Token> tokens = Tokenize(text);

  // Runs of content words: [first token, end token).
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].content) continue;
    bool joins = !runs.empty() && runs.back().second == i &&
                 Joinable(text.substr(tokens[i - 1].end, tokens[i].begin - tokens[i - 1].end));
    if (joins) {
      runs.back().second = i + 1;
    } else {
      runs.emplace_back(i, i + 1);
    }
  }

  std::unordered_map<std::string_view, int> word_freq;
  for (const auto& [b, e] : runs) {
    for (size_t i = b; i < e; ++i) ++word_freq[tokens[i].lower];
  }

  // Every n-gram (n <= kMaxPhraseWords) inside a run is a candidate.
  struct Gram {
    size_t first_token = 0, words = 0;
    int count = 0;
  };
  std::unordered_map<std::string, Gram> grams;
  for (const auto& [b, e] : runs) {
    for (size_t i = b; i < e; ++i) {
      std::string key;
      for (size_t n = 1; n <= kMaxPhraseWords && i + n <= e; ++n) {
        if (n > 1) key.push_back(' ');
        key += tokens[i + n - 1].lower;
        if (key.size() < 3) continue;
        auto [it, inserted] = grams.try_emplace(key, Gram{i, n, 0});
        ++it->second.count;
      }
    }
  }

  // A phrase that only ever occurs inside one longer phrase ("home battery"
  // in "home battery storage") is that phrase's fragment.
  std::unordered_map<std::string, bool> fragment;
  for (const auto& [key, g] : grams) {
    if (g.words < 2) continue;
    for (size_t b = 0; b < g.words; ++b) {
      std::string sub;
      for (size_t n = 1; b + n <= g.words; ++n) {
        if (n > 1) sub.push_back(' ');
        sub += tokens[g.first_token + b + n - 1].lower;
        if (n == g.words) break;
        auto it = grams.find(sub);
        if (it != grams.end() && it->second.count == g.count) fragment[sub] = true;
      }
    }
  }

  // Score: occurrences of the phrase times the summed frequency of its
  // words. Repeated phrases of repeated words win; among one-off phrases the
  // longer ones do, as in RAKE.
  struct Scored {
    double score;
    const std::string* key;
    const Gram* gram;
  };
  std::vector<Scored> scored;
  scored.reserve(grams.size());
  for (const auto& [key, g] : grams) {
    if (fragment.count(key) != 0) continue;
    int sum = 0;
    for (size_t k = 0; k < g.words; ++k) sum += word_freq[tokens[g.first_token + k].lower];
    scored.push_back({static_cast<double>(g.count) * sum, &key, &g});
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.gram->first_token != b.gram->first_token) return a.gram->first_token < b.gram->first_token;
    return a.gram->words > b.gram->words;
  });

  // Greedy selection. A phrase inside a chosen one adds nothing; one around
  // a chosen one adds only if it is itself a repeated term.
  std::vector<const Scored*> chosen;
  auto inside = [](const std::string& inner, const std::string& outer) {
    return (" " + outer + " ").find(" " + inner + " ") != std::string::npos;
  };
  for (const Scored& s : scored) {
    if (chosen.size() >= static_cast<size_t>(max_phrases)) break;
    bool redundant = std::any_of(chosen.begin(), chosen.end(), [&](const Scored* c) {
      return inside(*s.key, *c->key) || (s.gram->count < 2 && inside(*c->key, *s.key));
    });
    if (!redundant) chosen.push_back(&s);
  }
  if (chosen.empty()) return out;

  Utf8Index index(text);
  const double best = chosen.front()->score;
  for (const Scored* s : chosen) {
    size_t begin = tokens[s->gram->first_token].begin;
    size_t end = tokens[s->gram->first_token + s->gram->words - 1].end;
    KeyPhrase k;
    k.text = std::string(text.substr(begin, end - begin));
    k.score = s->score / best;
    k.begin_offset = index.CodePointAt(begin);
    k.end_offset = index.CodePointAt(end);
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace docpipe
