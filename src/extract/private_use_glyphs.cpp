#include "extract/private_use_glyphs.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <optional>

#include "common/utf8.h"
#include "extract/page_layout.h"

namespace docpipe {
namespace {

// How far (in words) from its place in the PDF's line a word may be in the
// OCR's: OCR splits or joins a word now and then.
constexpr size_t kWordWindow = 3;
// The most letters one private-use glyph stands for ("ffi", "Th").
constexpr size_t kMaxLigatureLetters = 3;
// Words matched: at most this long and with this many runs of glyphs, which
// bounds the matcher's backtracking whatever a hostile page holds.
constexpr size_t kMaxWordLength = 40;
constexpr size_t kMaxRuns = 4;

std::u32string Decode(std::string_view s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    size_t length = 0;
    out.push_back(DecodeUtf8(s, i, &length));
    i += length;
  }
  return out;
}

std::string Encode(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) AppendUtf8(out, c);
  return out;
}

std::vector<std::u32string> Words(std::string_view s) {
  std::vector<std::u32string> words;
  std::u32string word;
  for (char32_t c : Decode(s)) {
    if (u_isUWhiteSpace(static_cast<UChar32>(c))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// A word as the PDF maps it: literal text and runs of private-use characters.
struct Piece {
  bool private_use = false;
  std::u32string text;
};

std::vector<Piece> Pieces(const std::u32string& word) {
  std::vector<Piece> pieces;
  for (char32_t c : word) {
    const bool pua = IsPrivateUseCodePoint(c);
    if (pieces.empty() || pieces.back().private_use != pua) pieces.push_back({pua, {}});
    pieces.back().text.push_back(c);
  }
  return pieces;
}

// Matches `pieces` from pieces[k] against `word` from `at`: literals
// exactly, each private-use run against one or more characters. Fills
// `taken` (one entry per run) on success. More than one way to match (two
// runs side by side cannot be told apart) counts as none.
int Match(const std::vector<Piece>& pieces, size_t k, const std::u32string& word, size_t at,
          std::vector<std::u32string>& taken) {
  if (k == pieces.size()) return at == word.size() ? 1 : 0;
  const Piece& p = pieces[k];
  if (!p.private_use) {
    if (word.compare(at, p.text.size(), p.text) != 0) return 0;
    return Match(pieces, k + 1, word, at + p.text.size(), taken);
  }
  int ways = 0;
  std::vector<std::u32string> found;
  for (size_t end = at + 1; end <= word.size() && ways < 2; ++end) {
    std::vector<std::u32string> rest = taken;
    rest.push_back(word.substr(at, end - at));
    const int n = Match(pieces, k + 1, word, end, rest);
    if (n > 0) {
      ways += n;
      found = std::move(rest);
    }
  }
  if (ways == 1) taken = std::move(found);
  return ways;
}

bool AllLetters(std::u32string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char32_t c) { return u_isalpha(static_cast<UChar32>(c)); });
}

bool AllDigits(std::u32string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char32_t c) { return u_isdigit(static_cast<UChar32>(c)); });
}

// What each character of a private-use run stands for, given what the OCR
// has in its place; nothing when that cannot be split among them.
std::optional<std::vector<std::u32string>> Split(const std::u32string& run, const std::u32string& read) {
  if (!AllLetters(read) && !AllDigits(read)) return std::nullopt;
  if (run.size() == 1) {
    if (AllDigits(read) ? read.size() != 1 : read.size() > kMaxLigatureLetters) return std::nullopt;
    return std::vector<std::u32string>{read};
  }
  if (run.size() != read.size()) return std::nullopt;
  std::vector<std::u32string> each;
  for (char32_t c : read) each.push_back(std::u32string(1, c));
  return each;
}

}  // namespace

bool IsPrivateUseCodePoint(char32_t c) {
  return (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xF0000 && c <= 0x10FFFD);
}

std::vector<std::pair<char32_t, std::string>> ReadPrivateUseFromOcr(std::string_view pdf_text,
                                                                    std::string_view ocr_text) {
  const std::vector<std::u32string> pdf_words = Words(pdf_text);
  const std::vector<std::u32string> ocr_words = Words(ocr_text);
  if (ocr_words.empty()) return {};
  // Where word i of the PDF's line should be among the OCR's words: after
  // the nearest word before it that both read the same, else in proportion.
  auto place_of = [&](size_t i) -> size_t {
    for (size_t k = i; k-- > 0;) {
      const size_t guess = pdf_words.size() > 1 ? k * (ocr_words.size() - 1) / (pdf_words.size() - 1) : 0;
      for (size_t j = guess > kWordWindow ? guess - kWordWindow : 0;
           j < ocr_words.size() && j <= guess + kWordWindow; ++j) {
        if (ocr_words[j] == pdf_words[k]) return j + (i - k);
      }
    }
    return pdf_words.size() > 1 ? i * (ocr_words.size() - 1) / (pdf_words.size() - 1) : 0;
  };
  std::vector<std::pair<char32_t, std::string>> readings;
  for (size_t i = 0; i < pdf_words.size(); ++i) {
    if (pdf_words[i].size() > kMaxWordLength) continue;
    const std::vector<Piece> pieces = Pieces(pdf_words[i]);
    const auto runs = static_cast<size_t>(
        std::count_if(pieces.begin(), pieces.end(), [](const Piece& p) { return p.private_use; }));
    if (runs == 0 || runs > kMaxRuns) continue;
    // Letters or digits beside the glyphs anchor the word: it may then be
    // matched a few words off its place; a word of glyphs alone only there.
    const bool anchored = std::any_of(pieces.begin(), pieces.end(), [](const Piece& p) {
      return !p.private_use && std::any_of(p.text.begin(), p.text.end(),
                                           [](char32_t c) { return u_isalnum(static_cast<UChar32>(c)); });
    });
    const size_t place = place_of(i);
    const size_t window = anchored ? kWordWindow : 0;
    // The nearest OCR word that matches and splits among the glyphs; two at
    // the same distance that say different things count as none.
    std::optional<std::vector<std::vector<std::u32string>>> found;
    for (size_t distance = 0; distance <= window && !found; ++distance) {
      std::vector<std::vector<std::vector<std::u32string>>> here;
      for (size_t j : {place - distance, place + distance}) {
        if (j >= ocr_words.size() || (distance == 0 && !here.empty()))
          continue;  // place - d wrapped: out of range
        std::vector<std::u32string> taken;
        if (ocr_words[j].size() > kMaxWordLength || Match(pieces, 0, ocr_words[j], 0, taken) != 1) continue;
        std::vector<std::vector<std::u32string>> split;
        size_t run = 0;
        bool ok = true;
        for (const Piece& p : pieces) {
          if (!p.private_use) continue;
          const std::optional<std::vector<std::u32string>> each = Split(p.text, taken[run++]);
          if (!each) {
            ok = false;
            break;
          }
          split.push_back(*each);
        }
        if (ok) here.push_back(std::move(split));
      }
      if (here.size() == 1 || (here.size() == 2 && here[0] == here[1])) found = here[0];
      if (here.size() == 2 && here[0] != here[1]) break;
    }
    if (!found) continue;
    size_t run = 0;
    for (const Piece& p : pieces) {
      if (!p.private_use) continue;
      const std::vector<std::u32string>& each = (*found)[run++];
      for (size_t c = 0; c < p.text.size(); ++c) readings.emplace_back(p.text[c], Encode(each[c]));
    }
  }
  return readings;
}

void PrivateUseVotes::Add(char32_t c, const std::string& reading) {
  std::map<std::string, int>& counts = readings_[c];
  ++counts[reading];
  int best = 0, second = 0;
  const std::string* meaning = nullptr;
  for (const auto& [text, n] : counts) {
    if (n > best) {
      second = best;
      best = n;
      meaning = &text;
    } else if (n > second) {
      second = n;
    }
  }
  if (best >= 2 && best >= 2 * second) {
    meanings_[c] = *meaning;
  } else {
    meanings_.erase(c);
  }
}

std::vector<char32_t> PrivateUseIn(const TextLine& line) {
  std::vector<char32_t> found;
  for (const TextSpan& span : line.spans) {
    // Private-use code points start with these bytes in UTF-8 (U+E000-U+F8FF:
    // EE, EF; planes 15 and 16: F3, F4): most spans have none.
    if (std::none_of(span.text.begin(), span.text.end(), [](char b) {
          const auto byte = static_cast<unsigned char>(b);
          return byte == 0xEE || byte == 0xEF || byte == 0xF3 || byte == 0xF4;
        }))
      continue;
    for (size_t i = 0; i < span.text.size();) {
      size_t length = 0;
      const char32_t c = DecodeUtf8(span.text, i, &length);
      if (IsPrivateUseCodePoint(c) && std::find(found.begin(), found.end(), c) == found.end())
        found.push_back(c);
      i += length;
    }
  }
  return found;
}

int ReplacePrivateUse(PageLayout& page, const std::map<char32_t, std::string>& meanings) {
  if (meanings.empty()) return 0;
  int replaced = 0;
  for (TextBlock& block : page.blocks) {
    for (TextLine& line : block.lines) {
      for (TextSpan& span : line.spans) {
        if (IsAscii(span.text)) continue;
        std::string text;
        bool changed = false;
        for (size_t i = 0; i < span.text.size();) {
          size_t length = 0;
          const char32_t c = DecodeUtf8(span.text, i, &length);
          const auto it = IsPrivateUseCodePoint(c) ? meanings.find(c) : meanings.end();
          if (it != meanings.end()) {
            text += it->second;
            changed = true;
            ++replaced;
          } else {
            text.append(span.text, i, length);
          }
          i += length;
        }
        if (changed) {
          span.text = std::move(text);
          span.chars = static_cast<int>(CountCodePoints(span.text));
        }
      }
    }
  }
  return replaced;
}

}  // namespace docpipe
