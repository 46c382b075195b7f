#include "extract/number_format.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace docpipe {
namespace {

std::vector<std::string> SplitSections(std::string_view code) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') quoted = !quoted;
    if (c == '\\' && i + 1 < code.size()) {
      out.back() += c;
      out.back() += code[++i];
      continue;
    }
    if (c == ';' && !quoted) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  return out;
}

// Drops [Red], [$-409], [$€-407] (keeping the currency symbol) but keeps
// [h], [mm], [ss] elapsed-time markers.
std::string StripBrackets(const std::string& s, bool* elapsed) {
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == '[' && !quoted) {
      size_t end = s.find(']', i);
      if (end == std::string::npos) break;
      std::string tag = s.substr(i + 1, end - i - 1);
      if (!tag.empty() && (tag[0] == 'h' || tag[0] == 'H' || tag[0] == 'm' || tag[0] == 'M' || tag[0] == 's' ||
                           tag[0] == 'S')) {
        *elapsed = true;
        out.push_back('[');
        out.append(tag);
        out.push_back(']');
      } else if (!tag.empty() && tag[0] == '$') {
        size_t dash = tag.find('-');
        out.push_back('"');
        out.append(tag, 1, dash == std::string::npos ? std::string::npos : dash - 1);
        out.push_back('"');
      }
      i = end;
      continue;
    }
    out += s[i];
  }
  return out;
}

bool IsDateSection(const std::string& s) {
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\\' || c == '_' || c == '*') {
      ++i;
      continue;
    }
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == 'y' || l == 'd' || l == 'h' || l == 's' || l == 'm') return true;
    if (c == '[' && i + 1 < s.size()) {
      const char n = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
      if (n == 'h' || n == 'm' || n == 's') return true;
    }
  }
  return false;
}

struct Civil {
  int y, m, d;
};

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
Civil FromDays(long long z) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long y = static_cast<long long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};
const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

std::string FormatDate(double serial, const std::string& code, bool date1904) {
  if (serial < 0 || serial > 2958465.0) return FormatGeneral(serial);  // beyond 9999-12-31
  long long days = static_cast<long long>(std::floor(serial));
  double frac = serial - static_cast<double>(days);
  long long secs_total = std::llround(frac * 86400.0);
  if (secs_total >= 86400) {
    ++days;
    secs_total -= 86400;
  }
  // Days since 1970-01-01; serial 1 is 1900-01-01 and Excel counts a
  // 1900-02-29 that never was (serial 60), so serials before it are one off.
  Civil c{1900, 1, 0};
  long long unix_days = 0;
  if (date1904) {
    unix_days = days - 24107;
    c = FromDays(unix_days);
  } else {
    unix_days = days - 25569 + (days < 60 ? 1 : 0);
    if (days == 60) c = {1900, 2, 29};
    else if (days == 0) c = {1900, 1, 0};
    else c = FromDays(unix_days);
  }
  const int weekday = static_cast<int>(((unix_days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  const int hour = static_cast<int>(secs_total / 3600), minute = static_cast<int>(secs_total / 60 % 60),
            second = static_cast<int>(secs_total % 60);
  bool ampm = false;
  {
    std::string lower;
    for (char ch : code) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    ampm = lower.find("am/pm") != std::string::npos || lower.find("a/p") != std::string::npos;
  }
  std::string out;
  bool quoted = false;
  for (size_t i = 0; i < code.size();) {
    const char ch = code[i];
    if (ch == '"') {
      quoted = !quoted;
      ++i;
      continue;
    }
    if (quoted) {
      out += ch;
      ++i;
      continue;
    }
    if (ch == '\\' && i + 1 < code.size()) {
      out += code[i + 1];
      i += 2;
      continue;
    }
    if (ch == '_' || ch == '*') {  // padding: a space / nothing
      if (ch == '_') out += ' ';
      i += 2;
      continue;
    }
    size_t n = 1;
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (i + n < code.size() && std::tolower(static_cast<unsigned char>(code[i + n])) == l) ++n;
    if (ch == '[') {
      size_t end = code.find(']', i);
      std::string tag = end == std::string::npos ? "" : code.substr(i + 1, end - i - 1);
      const double total_hours = serial * 24.0;
      if (!tag.empty() && std::tolower(static_cast<unsigned char>(tag[0])) == 'h')
        out += fmt::format("{:0{}}", static_cast<long long>(std::floor(total_hours + 1e-9)), tag.size());
      else if (!tag.empty() && std::tolower(static_cast<unsigned char>(tag[0])) == 'm')
        out += fmt::format("{:0{}}", static_cast<long long>(std::floor(serial * 1440.0 + 1e-9)), tag.size());
      else if (!tag.empty())
        out += fmt::format("{:0{}}", static_cast<long long>(std::llround(serial * 86400.0)), tag.size());
      i = end == std::string::npos ? code.size() : end + 1;
      continue;
    }
    if (l == 'y') {
      out += n <= 2 ? fmt::format("{:02}", c.y % 100) : fmt::format("{:04}", c.y);
    } else if (l == 'd') {
      out += n == 1 ? fmt::format("{}", c.d) : n == 2 ? fmt::format("{:02}", c.d)
             : n == 3                                   ? std::string(kDays[weekday]).substr(0, 3)
                                                        : std::string(kDays[weekday]);
    } else if (l == 'm') {
      // Minutes after hours or before seconds; months otherwise.
      std::string before = out;
      size_t j = i + n;
      while (j < code.size() && (code[j] == ' ' || code[j] == ':' || code[j] == '.')) ++j;
      bool minutes = j < code.size() && std::tolower(static_cast<unsigned char>(code[j])) == 's';
      for (size_t k = i; k-- > 0;) {
        const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(code[k])));
        if (p == 'h' || p == ']') {
          minutes = true;
          break;
        }
        if (p == 'd' || p == 'y' || p == 'm') break;
      }
      if (minutes && n <= 2) {
        out += n == 1 ? fmt::format("{}", minute) : fmt::format("{:02}", minute);
      } else {
        out += n == 1   ? fmt::format("{}", c.m)
               : n == 2 ? fmt::format("{:02}", c.m)
               : n == 3 ? std::string(kMonths[c.m - 1]).substr(0, 3)
               : n == 5 ? std::string(kMonths[c.m - 1]).substr(0, 1)
                        : std::string(kMonths[c.m - 1]);
      }
    } else if (l == 'h') {
      int h = hour;
      if (ampm) h = h % 12 == 0 ? 12 : h % 12;
      out += n == 1 ? fmt::format("{}", h) : fmt::format("{:02}", h);
    } else if (l == 's') {
      out += n == 1 ? fmt::format("{}", second) : fmt::format("{:02}", second);
      // Fractions of a second: ".0", ".00"
      if (i + n < code.size() && code[i + n] == '.' && i + n + 1 < code.size() && code[i + n + 1] == '0') {
        size_t z = 0;
        while (i + n + 1 + z < code.size() && code[i + n + 1 + z] == '0') ++z;
        const double f = frac * 86400.0 - std::floor(frac * 86400.0);
        out += fmt::format("{:.{}f}", f, z).substr(1);
        n += 1 + z;
      }
    } else if (l == 'a' && (code.compare(i, 5, "AM/PM") == 0 || code.compare(i, 5, "am/pm") == 0)) {
      out += hour < 12 ? "AM" : "PM";
      n = 5;
    } else if (l == 'a' && (code.compare(i, 3, "A/P") == 0 || code.compare(i, 3, "a/p") == 0)) {
      out += hour < 12 ? "A" : "P";
      n = 3;
    } else {
      out.append(code, i, n);
    }
    i += n;
  }
  return out;
}

std::string GroupThousands(const std::string& digits) {
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[static_cast<size_t>(i)];
    if ((n - i - 1) % 3 == 0 && i != n - 1) out += ',';
  }
  return out;
}

std::string FormatNumeric(double value, const std::string& code) {
  // Split the code into the prefix literals, the number pattern and the suffix.
  std::string prefix, suffix, pattern;
  bool quoted = false, in_pattern = false, pattern_done = false;
  for (size_t i = 0; i < code.size(); ++i) {
    const char ch = code[i];
    if (ch == '"') {
      quoted = !quoted;
      continue;
    }
    std::string* lit = pattern.empty() && !in_pattern ? &prefix : &suffix;
    if (quoted) {
      *lit += ch;
      continue;
    }
    if (ch == '\\' && i + 1 < code.size()) {
      *lit += code[++i];
      continue;
    }
    if (ch == '_') {
      ++i;
      *lit += ' ';
      continue;
    }
    if (ch == '*') {
      ++i;
      continue;
    }
    const bool numeric = ch == '0' || ch == '#' || ch == '?' || ch == '.' || ch == ',' ||
                         ((ch == 'E' || ch == 'e') && in_pattern) ||
                         ((ch == '+' || ch == '-') && in_pattern && !pattern.empty() &&
                          (pattern.back() == 'E' || pattern.back() == 'e')) ||
                         (ch == '/' && in_pattern);
    if (numeric && !pattern_done) {
      in_pattern = true;
      pattern += ch;
    } else {
      if (in_pattern) pattern_done = true;
      if (ch == '%') value *= 100.0;
      (pattern.empty() ? prefix : suffix) += ch;
    }
  }
  if (pattern.empty()) return prefix + suffix;
  // Trailing commas scale by 1,000 each.
  while (!pattern.empty() && pattern.back() == ',') {
    value /= 1000.0;
    pattern.pop_back();
  }
  const size_t e = pattern.find_first_of("Ee");
  const size_t dot = pattern.find('.');
  if (pattern.find('/') != std::string::npos) return prefix + FormatGeneral(value) + suffix;
  std::string int_part = pattern.substr(0, std::min(dot, e));
  std::string frac_part = dot == std::string::npos ? "" : pattern.substr(dot + 1, e == std::string::npos ? std::string::npos : e - dot - 1);
  int decimals = 0, optional_decimals = 0;
  for (char ch : frac_part) {
    if (ch == '0') ++decimals;
    else if (ch == '#' || ch == '?') ++optional_decimals;
  }
  const bool grouping = int_part.find(',') != std::string::npos;
  int min_int_digits = 0;
  for (char ch : int_part) min_int_digits += ch == '0';
  std::string body;
  if (e != std::string::npos) {
    std::string s = fmt::format("{:.{}E}", std::fabs(value), decimals + optional_decimals);
    const size_t epos = s.find('E');
    int exp = std::stoi(s.substr(epos + 1));
    std::string mant = s.substr(0, epos);
    std::string exp_pattern = pattern.substr(e + 1);
    const bool plus = !exp_pattern.empty() && exp_pattern[0] == '+';
    int exp_digits = 0;
    for (char ch : exp_pattern) exp_digits += ch == '0';
    body = mant + "E" + (exp < 0 ? "-" : plus ? "+" : "") + fmt::format("{:0{}}", std::abs(exp), std::max(exp_digits, 1));
  } else {
    std::string s = fmt::format("{:.{}f}", std::fabs(value), decimals + optional_decimals);
    std::string ip = s.substr(0, s.find('.'));
    std::string fp = s.find('.') == std::string::npos ? "" : s.substr(s.find('.') + 1);
    while (static_cast<int>(fp.size()) > decimals && !fp.empty() && fp.back() == '0') fp.pop_back();
    if (ip == "0" && min_int_digits == 0) ip.clear();
    while (static_cast<int>(ip.size()) < min_int_digits) ip = "0" + ip;
    if (grouping) ip = GroupThousands(ip);
    body = ip + (fp.empty() && dot == std::string::npos ? "" : fp.empty() && decimals == 0 ? "" : "." + fp);
    if (body.empty()) body = "0";
  }
  return prefix + body + suffix;
}

}  // namespace

std::string FormatGeneral(double value) {
  if (std::isnan(value)) return "#NUM!";
  if (std::isinf(value)) return "#DIV/0!";
  if (value == 0) return "0";
  const double a = std::fabs(value);
  if (a >= 1e11 || a < 1e-9) {
    std::string s = fmt::format("{:.5E}", value);
    const size_t epos = s.find('E');
    std::string mant = s.substr(0, epos);
    while (mant.back() == '0') mant.pop_back();
    if (mant.back() == '.') mant.pop_back();
    const int exp = std::stoi(s.substr(epos + 1));
    return mant + "E" + (exp < 0 ? "-" : "+") + fmt::format("{:02}", std::abs(exp));
  }
  const int int_digits = a >= 1 ? static_cast<int>(std::floor(std::log10(a))) + 1 : 1;
  std::string s = fmt::format("{:.{}f}", value, std::max(0, 10 - int_digits + (a < 1 ? 1 : 0)));
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string BuiltinNumberFormat(int id) {
  switch (id) {
    case 0: return "General";
    case 1: return "0";
    case 2: return "0.00";
    case 3: return "#,##0";
    case 4: return "#,##0.00";
    case 5: return "\"$\"#,##0_);(\"$\"#,##0)";
    case 6: return "\"$\"#,##0_);[Red](\"$\"#,##0)";
    case 7: return "\"$\"#,##0.00_);(\"$\"#,##0.00)";
    case 8: return "\"$\"#,##0.00_);[Red](\"$\"#,##0.00)";
    case 9: return "0%";
    case 10: return "0.00%";
    case 11: return "0.00E+00";
    case 12: return "# ?/?";
    case 13: return "# ?\?/?\?";
    case 14: return "yyyy-mm-dd";  // locale short date; ISO is unambiguous
    case 15: return "d-mmm-yy";
    case 16: return "d-mmm";
    case 17: return "mmm-yy";
    case 18: return "h:mm AM/PM";
    case 19: return "h:mm:ss AM/PM";
    case 20: return "h:mm";
    case 21: return "h:mm:ss";
    case 22: return "yyyy-mm-dd h:mm";
    case 37: return "#,##0_);(#,##0)";
    case 38: return "#,##0_);[Red](#,##0)";
    case 39: return "#,##0.00_);(#,##0.00)";
    case 40: return "#,##0.00_);[Red](#,##0.00)";
    case 45: return "mm:ss";
    case 46: return "[h]:mm:ss";
    case 47: return "mm:ss.0";
    case 48: return "##0.0E+0";
    case 49: return "@";
    default: return "";
  }
}

bool IsDateFormat(std::string_view format_code) {
  bool elapsed = false;
  for (const std::string& s : SplitSections(format_code)) {
    std::string stripped = StripBrackets(s, &elapsed);
    if (IsDateSection(stripped) || elapsed) return true;
  }
  return false;
}

std::string FormatNumber(double value, std::string_view format_code, bool date1904) {
  if (format_code.empty() || format_code == "General" || format_code == "@") return FormatGeneral(value);
  std::vector<std::string> sections = SplitSections(format_code);
  // Section choice: [0] positive (or all), [1] negative, [2] zero.
  std::string section = sections[0];
  bool negative_section = false;
  if (value < 0 && sections.size() >= 2 && !sections[1].empty()) {
    section = sections[1];
    negative_section = true;
  } else if (value == 0 && sections.size() >= 3) {
    section = sections[2];
  }
  bool elapsed = false;
  std::string code = StripBrackets(section, &elapsed);
  if (code == "General" || code.empty()) return FormatGeneral(value);
  if (IsDateSection(code) || elapsed) return FormatDate(value, code, date1904);
  std::string out = FormatNumeric(negative_section ? -value : std::fabs(value), code);
  if (value < 0 && !negative_section) out = "-" + out;
  // Trailing padding from "_)" is invisible.
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return out;
}

}  // namespace docpipe
