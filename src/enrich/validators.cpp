#include "enrich/validators.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "enrich/text_span.h"

namespace docpipe {

namespace {

// Leading `n` digits as a number (digits are known to be ASCII digits).
int Prefix(std::string_view digits, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < digits.size(); ++i) v = v * 10 + (digits[i] - '0');
  return v;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (!IsAsciiDigit(c)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// SWIFT IBAN registry lengths.
constexpr std::array<std::pair<std::string_view, int>, 80> kIbanLengths = {{
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27},
    {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
    {"SC", 31}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"BI", 27}, {"DJ", 27},
}};

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (!IsAsciiDigit(digits[i])) return false;
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool KnownCardPrefix(std::string_view d) {
  const size_t n = d.size();
  if (n < 12 || n > 19) return false;
  const int p1 = Prefix(d, 1), p2 = Prefix(d, 2), p3 = Prefix(d, 3), p4 = Prefix(d, 4), p6 = Prefix(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                         // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
  if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925))
    return n >= 16;                                                                  // Discover
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14;  // Diners
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;                                      // JCB
  if (p2 == 62) return n >= 16;                                                      // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12;                            // Maestro
  return false;
}

bool CardGroupingValid(std::string_view raw) {
  char sep = 0;
  std::vector<int> groups{0};
  for (char c : raw) {
    if (IsAsciiDigit(c)) {
      ++groups.back();
      continue;
    }
    if (sep != 0 && c != sep) return false;  // "4111 1111-1111 1111"
    sep = c;
    groups.push_back(0);
  }
  if (groups.size() == 1) return true;
  auto is = [&](std::initializer_list<int> want) {
    return std::equal(groups.begin(), groups.end(), want.begin(), want.end());
  };
  if (is({4, 6, 5}) || is({4, 6, 4})) return true;
  if (groups.size() < 4 || groups.size() > 5) return false;
  for (size_t i = 0; i + 1 < groups.size(); ++i) {
    if (groups[i] != 4) return false;
  }
  return groups.back() >= 1 && groups.back() <= 4;
}

int IbanLength(std::string_view country) {
  for (const auto& [code, len] : kIbanLengths) {
    if (code == country) return len;
  }
  return 0;
}

bool IbanValid(std::string_view iban) {
  if (iban.size() < 5) return false;
  int want = IbanLength(iban.substr(0, 2));
  if (want == 0 || static_cast<int>(iban.size()) != want) return false;
  if (!IsAsciiDigit(iban[2]) || !IsAsciiDigit(iban[3])) return false;
  // Move the first four characters to the end, letters become 10..35.
  int rem = 0;
  for (size_t k = 0; k < iban.size(); ++k) {
    char c = iban[(k + 4) % iban.size()];
    if (IsAsciiDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool SsnValid(std::string_view area, std::string_view group, std::string_view serial) {
  int a = ToInt(area), g = ToInt(group), s = ToInt(serial);
  if (area.size() != 3 || group.size() != 2 || serial.size() != 4) return false;
  if (a <= 0 || a == 666 || a >= 900) return false;
  return g > 0 && s > 0;
}

bool DateValid(int year, int month, int day) {
  if (year < 1000 || year > 2999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

int MonthFromName(std::string_view name) {
  static constexpr std::string_view kMonths[12] = {"january",   "february", "march",    "april",
                                                   "may",       "june",     "july",     "august",
                                                   "september", "october",  "november", "december"};
  std::string lower;
  for (char c : name) {
    if (c != '.') lower.push_back(AsciiLower(c));
  }
  if (lower.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    // Full name, three-letter abbreviation, or "sept".
    if (lower == kMonths[i] || lower == kMonths[i].substr(0, 3) || (i == 8 && lower == "sept")) return i + 1;
  }
  return 0;
}

bool Ipv4OctetValid(std::string_view octet) {
  if (octet.empty() || octet.size() > 3) return false;
  if (octet.size() > 1 && octet[0] == '0') return false;
  int v = ToInt(octet);
  return v >= 0 && v <= 255;
}

}  // namespace docpipe
