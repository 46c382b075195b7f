#include "extract/headings.h"

#include "common/utf8.h"
#include "extract/text_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace docpipe {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (c == ' ') {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsUpper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }

bool IsRomanWord(const std::string& w) {
  return !w.empty() && w.size() <= 6 &&
         std::all_of(w.begin(), w.end(), [](char c) { return std::strchr("IVXLC", c); });
}

}  // namespace

// The first `n` words of `text` (headings are decided by their start; a
// paragraph need not be split whole).
std::vector<std::string> FirstWords(const std::string& text, size_t n) {
  std::vector<std::string> words;
  size_t i = 0;
  while (words.size() < n) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    const size_t end = std::min(text.find(' ', i), text.size());
    words.push_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

HeadingNumber ParseHeadingNumber(const std::string& text) {
  HeadingNumber h;
  const std::vector<std::string> words = FirstWords(text, 2);
  if (words.size() < 2) return h;
  static const char* const kUnits[] = {"Chapter", "CHAPTER", "Appendix", "APPENDIX", "Part",
                                       "PART",    "Kapitel", "Chapitre", "Anhang",   "Annexe"};
  for (const char* unit : kUnits) {
    if (words[0] == unit) {
      std::string n = words[1];
      while (!n.empty() && (n.back() == '.' || n.back() == ':')) n.pop_back();
      const bool number = !n.empty() && (std::all_of(n.begin(), n.end(), IsDigit) || IsRomanWord(n) ||
                                         (n.size() == 1 && IsUpper(n[0])));
      if (!number) return h;
      h.depth = 1;
      h.number = n;
      h.title_start = text.find(words[1]) + words[1].size();
      while (h.title_start < text.size() && (text[h.title_start] == ' ' || text[h.title_start] == ':'))
        ++h.title_start;
      return h;
    }
  }
  // "2", "2.1", "2.1.3", "2.", "A.1", "A", "IV." followed by a title word.
  std::string n = words[0];
  bool trailing_dot = false;
  if (n.size() > 1 && n.back() == '.') n.pop_back(), trailing_dot = true;
  int depth = 0;
  size_t start = 0;
  bool ok = !n.empty();
  while (ok && start <= n.size()) {
    size_t dot = n.find('.', start);
    std::string part = n.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool digits = !part.empty() && part.size() <= 3 && std::all_of(part.begin(), part.end(), IsDigit);
    const bool letter =
        depth == 0 && part.size() == 1 && IsUpper(part[0]) && (dot != std::string::npos || trailing_dot);
    const bool roman = depth == 0 && dot == std::string::npos && trailing_dot && IsRomanWord(part);
    if (!digits && !letter && !roman) ok = false;
    ++depth;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!ok || depth > 6) return h;
  // The title must start with a letter (or a non-ASCII character): "2 x 3"
  // or "1.5 %" are not headings.
  const unsigned char first = static_cast<unsigned char>(words[1][0]);
  if (!std::isalpha(first) && first < 0x80) return h;
  h.depth = depth;
  h.number = n;
  h.title_start = text.find(words[1], words[0].size());
  return h;
}

bool LooksLikeTocEntry(const std::string& text, bool gap_before_last_word) {
  if (text.find("....") != std::string::npos || text.find(". . .") != std::string::npos ||
      text.find("\xE2\x80\xA6\xE2\x80\xA6") != std::string::npos) {  // "……"
    return true;
  }
  const std::vector<std::string> words = Words(text);
  if (words.size() < 2) return false;
  const std::string& last = words.back();
  const bool page = (std::all_of(last.begin(), last.end(), IsDigit) && last.size() <= 4) ||
                    (std::all_of(last.begin(), last.end(), [](char c) { return std::strchr("ivxlc", c); }) &&
                     last.size() <= 5);
  if (!page) return false;
  if (gap_before_last_word) return true;
  // "VII Additions and removals 304", "2.1 Scope 7": numbered title, then a
  // number ("Chapter 3" alone is no entry: it has no title before the number).
  const HeadingNumber n = ParseHeadingNumber(text);
  const size_t title_end = text.size() - last.size();
  if (n.depth > 0)
    return n.title_start < title_end && text.find_first_not_of(' ', n.title_start) < title_end - 1;
  return IsRomanWord(words[0]) && words.size() >= 3;
}

bool LooksLikeAuthorList(const std::string& text) {
  if (text.find('@') != std::string::npos) return true;
  // Split at commas, " and ", "&"; every part 2-4 capitalised words.
  std::vector<std::string> parts;
  std::string cur;
  const std::vector<std::string> words = Words(text);
  std::vector<std::vector<std::string>> names(1);
  int separators = 0;
  for (std::string w : words) {
    if (w == "and" || w == "&" || w == "und" || w == "et") {
      ++separators;
      names.emplace_back();
      continue;
    }
    bool comma = !w.empty() && w.back() == ',';
    while (!w.empty() && (w.back() == ',' || IsDigit(w.back()) || w.back() == '*')) w.pop_back();
    if (!w.empty()) names.back().push_back(w);
    if (comma) {
      ++separators;
      names.emplace_back();
    }
  }
  if (separators < 1) return false;
  int good = 0, total = 0;
  for (const auto& name : names) {
    if (name.empty()) continue;
    ++total;
    const bool capitalised = std::all_of(name.begin(), name.end(), [](const std::string& w) {
      return IsUpper(w[0]) || w == "van" || w == "von" || w == "de" || w == "der" || w == "da" || w == "di" ||
             w == "le" || static_cast<unsigned char>(w[0]) >= 0x80;
    });
    if (capitalised && name.size() >= 2 && name.size() <= 4) ++good;
  }
  return total >= 2 && good == total;
}

bool LooksLikeGarbage(const std::string& text) {
  size_t i = 0;
  int letters = 0, visible = 0;
  while (i < text.size()) {
    size_t length = 0;
    const char32_t cp = DecodeUtf8(text, i, &length);
    i += length;
    if (cp == 0xFFFD || (cp >= 0xE000 && cp <= 0xF8FF) || cp < 0x20) return true;
    if (cp == ' ') continue;
    ++visible;
    if ((cp < 0x80 && std::isalpha(static_cast<int>(cp))) || cp >= 0xC0) ++letters;
  }
  if (visible == 0 || letters * 2 < visible) return true;
  // "T H E  T I T L E" or glyph soup: most words a single character.
  const std::vector<std::string> words = Words(text);
  int single = 0;
  for (const std::string& w : words) single += w.size() == 1 ? 1 : 0;
  return words.size() >= 4 && single * 10 > static_cast<int>(words.size()) * 6;
}

bool LooksLikeCaption(const std::string& text) {
  static const char* const kLabels[] = {"Figure ",    "Fig. ",   "Table ", "Tab. ",      "Listing ",
                                        "Algorithm ", "FIGURE ", "TABLE ", "Abbildung ", "Tabelle "};
  for (const char* label : kLabels) {
    const size_t n = std::strlen(label);
    if (text.compare(0, n, label) == 0 && text.size() > n && (IsDigit(text[n]) || IsUpper(text[n])))
      return true;
  }
  return false;
}

namespace {

// One spelling for the Arabic-script letters that producers and authors
// interchange (Lucene's Arabic and Persian normalizers fold the same ones):
// the Persian yeh and alef maksura as yeh, keheh as kaf, ae and teh marbuta
// as heh, alef wasla as alef. Marks are gone by then (NFD, then dropped),
// so "heh with yeh above" (U+06C0) and heh + hamza above (U+0647 U+0654)
// both end as heh.
UChar32 FoldArabicLetter(UChar32 c) {
  switch (c) {
    case 0x06CC: case 0x0649: return 0x064A;
    case 0x06A9: return 0x0643;
    case 0x06D5: case 0x0629: return 0x0647;
    case 0x0671: return 0x0627;
    default: return c;
  }
}

// A folded title without the section number it starts with, whatever its
// digits and separators were ("۵ . ۲ . ۹" folds to "529").
std::string WithoutLeadingDigits(const std::string& folded) {
  const size_t start = folded.find_first_not_of("0123456789");
  return start == std::string::npos ? std::string() : folded.substr(start);
}

}  // namespace

std::string FoldForMatch(const std::string& text) {
  const bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::string out;
  if (ascii) {
    out.reserve(text.size());
    for (char c : text) {
      if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    }
    return out;
  }
  // Other scripts: compatibility forms and case folded (NFKC_Casefold, which
  // also drops joiners and bidi marks), then decomposed so that accents and
  // vowel marks can go; digits of any script become ASCII digits.
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) return text;
  icu::UnicodeString folded = casefold->normalize(icu::UnicodeString::fromUTF8(text), status);
  folded = nfd->normalize(folded, status);
  if (U_FAILURE(status)) return text;
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK || c == 0x0640) continue;  // marks, tatweel
    if (const int digit = DecimalDigitValue(static_cast<char32_t>(c)); digit >= 0) {
      out += static_cast<char>('0' + digit);
    } else if (u_isalnum(c)) {
      AppendUtf8(out, static_cast<char32_t>(FoldArabicLetter(c)));
    }
  }
  return out;
}

OutlineIndex::OutlineIndex(std::vector<OutlineEntry> entries) : entries_(std::move(entries)) {
  used_.assign(entries_.size(), false);
  for (const OutlineEntry& e : entries_) {
    const HeadingNumber n = ParseHeadingNumber(e.title);
    folded_.push_back(FoldForMatch(e.title));
    folded_title_.push_back(n.depth > 0 ? FoldForMatch(e.title.substr(n.title_start))
                                        : WithoutLeadingDigits(folded_.back()));
  }
  int pointing = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].page <= 0 || FoldForMatch(entries_[i].title).empty()) continue;
    ++pointing;
    by_page_.emplace(entries_[i].page, i);
    max_level_ = std::max(max_level_, entries_[i].level);
  }
  usable_ = pointing >= 2;
}

bool OutlineIndex::Has(int page, const std::string& text) const { return Entry(page, text) >= 0; }

int OutlineIndex::Match(int page, const std::string& text) {
  const int i = Entry(page, text);
  if (i < 0) return 0;
  used_[static_cast<size_t>(i)] = true;
  return entries_[static_cast<size_t>(i)].level;
}

int OutlineIndex::Entry(int page, const std::string& text) const {
  // Most pages have no entry: answer before folding anything.
  if (by_page_.count(page) == 0 && by_page_.count(page - 1) == 0) return -1;
  // Nor can a line much longer than every title there be one of them.
  size_t longest = 0;
  for (int p : {page, page - 1}) {
    auto [begin, end] = by_page_.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      if (!used_[it->second]) longest = std::max(longest, entries_[it->second].title.size());
    }
  }
  if (text.size() > 2 * longest + 16) return -1;
  const std::string folded = FoldForMatch(text);
  if (folded.empty()) return -1;
  const HeadingNumber number = ParseHeadingNumber(text);
  const std::string title_only =
      number.depth > 0 ? FoldForMatch(text.substr(number.title_start)) : WithoutLeadingDigits(folded);
  for (int p : {page, page - 1}) {
    auto [begin, end] = by_page_.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      const size_t i = it->second;
      if (used_[i]) continue;
      const std::string& want = folded_[i];
      const std::string& want_title = folded_title_[i];
      if (folded == want || title_only == want || folded == want_title ||
          (!title_only.empty() && title_only == want_title)) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

void OutlineIndex::Forget(int page) {
  while (!by_page_.empty() && by_page_.begin()->first < page) by_page_.erase(by_page_.begin());
}

}  // namespace docpipe
