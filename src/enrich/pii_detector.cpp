#include "enrich/pii_detector.h"

#include <arpa/inet.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <climits>
#include <set>
#include <string>

#include "common/strings.h"
#include "enrich/date_finder.h"
#include "enrich/regex.h"
#include "enrich/text_span.h"
#include "enrich/validators.h"

namespace docpipe {

namespace {

using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kEmail = "EMAIL";
constexpr std::string_view kPhone = "PHONE";
constexpr std::string_view kCard = "CREDIT_DEBIT_NUMBER";
constexpr std::string_view kSsn = "SSN";
constexpr std::string_view kIban = "INTERNATIONAL_BANK_ACCOUNT_NUMBER";
constexpr std::string_view kIp = "IP_ADDRESS";
constexpr std::string_view kMac = "MAC_ADDRESS";
constexpr std::string_view kUrl = "URL";
constexpr std::string_view kAwsAccessKey = "AWS_ACCESS_KEY";
constexpr std::string_view kAwsSecretKey = "AWS_SECRET_KEY";
constexpr std::string_view kDateTime = "DATE_TIME";

// Candidate patterns. Lookarounds keep candidates from starting or ending
// inside a longer token; the C++ validators decide.
constexpr std::string_view kEmailPattern =
    "(?<![\\w.%+\\-])[A-Za-z0-9](?:[A-Za-z0-9._%+\\-]{0,62}[A-Za-z0-9_%+\\-])?@"
    "(?:[A-Za-z0-9](?:[A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,24}(?![\\w\\-])";
constexpr std::string_view kPhoneCandidatePattern = "(?<![\\w+])\\+?\\(?\\d[\\d \\t().\\-/]{5,}\\d(?!\\d)";
constexpr std::string_view kCardPattern =
    "(?<![\\d\\-])(?<!\\d[.,])\\d(?:[ \\-]?\\d){12,18}(?![\\d\\-]|[.,]\\d)";
constexpr std::string_view kSsnPattern = "(?<![\\d\\-])(\\d{3})-(\\d{2})-(\\d{4})(?![\\d\\-]|[.,]\\d)";
constexpr std::string_view kIbanStartPattern = "\\b([A-Z]{2})\\d{2}(?= ?[A-Z0-9])";
constexpr std::string_view kIpv4Pattern =
    "(?<![\\w.])(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?!\\w)(?!\\.\\d)";
constexpr std::string_view kIpv6Pattern =
    "(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\\w:])(?!\\."
    "\\d)";
constexpr std::string_view kMacPattern =
    "(?<![\\w:\\-])[0-9A-Fa-f]{2}([:\\-])[0-9A-Fa-f]{2}(?:\\1[0-9A-Fa-f]{2}){4}(?![\\w:\\-])";
constexpr std::string_view kUrlPattern = "(?<![\\w@.\\-])(?:(?:https?|ftp)://|www\\.)[^\\s<>\"'`{}|\\\\^]+";
constexpr std::string_view kAwsAccessKeyPattern = "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])";
constexpr std::string_view kAwsSecretPattern = "(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])";
constexpr std::string_view kSecretWordPattern = "secret";

// Words that make a dotted quad a version number, not an address.
constexpr std::array<std::string_view, 14> kVersionWords = {
    "v",      "ver", "version",  "versions", "release", "rel",    "build",
    "build#", "rev", "revision", "firmware", "patch",   "kernel", "update"};

// The `n` words before byte `pos`, nearest first, lower case.
std::vector<std::string> WordsBefore(std::string_view text, size_t pos, int n) {
  std::vector<std::string> words;
  size_t i = pos;
  while (static_cast<int>(words.size()) < n && i > 0) {
    while (i > 0 && !IsAsciiAlnum(text[i - 1])) {
      char c = text[i - 1];
      if (c == '\n' || c == '.' || c == ';') return words;  // stay within the clause
      --i;
    }
    size_t end = i;
    while (i > 0 && (IsAsciiAlnum(text[i - 1]) || text[i - 1] == '#')) --i;
    if (end == i) break;
    words.push_back(AsciiLower(text.substr(i, end - i)));
  }
  return words;
}

bool HasContext(std::string_view text, size_t pos, size_t window,
                std::initializer_list<std::string_view> keys) {
  size_t from = pos > window ? pos - window : 0;
  std::string before = AsciiLower(text.substr(from, pos - from));
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string_view k) { return before.find(k) != std::string::npos; });
}

class LocalPiiDetector : public PiiDetector {
 public:
  struct Patterns {
    Regex email, phone_candidate, card, ssn, iban_start, ipv4, ipv6, mac, url, aws_access, aws_secret,
        secret_word;
  };

  LocalPiiDetector(std::string region, Patterns p, DateFinder dates)
      : region_(std::move(region)), p_(std::move(p)), dates_(std::move(dates)) {}

  std::vector<Entity> Detect(std::string_view text) const override {
    std::vector<Span> spans;
    FindEmails(text, spans);
    FindCards(text, spans);
    FindSsns(text, spans);
    FindIbans(text, spans);
    FindIps(text, spans);
    FindMacs(text, spans);
    FindUrls(text, spans);
    FindAwsKeys(text, spans);
    dates_.Find(text, kDateTime, spans);
    FindPhones(text, spans);  // last: skips digit runs the others explained
    return ToEntities(text, ResolveOverlaps(std::move(spans)));
  }

 private:
  void FindEmails(std::string_view text, std::vector<Span>& out) const {
    if (text.find('@') == std::string_view::npos) return;
    p_.email.ForEach(text, [&](const RegexMatch& m) {
      std::string_view local = m.Group().substr(0, m.Group().find('@'));
      if (local.find("..") != std::string_view::npos) return;
      out.push_back({m.Begin(), m.End(), 0.95, kEmail});
    });
  }

  // libphonenumber's matcher costs ~3 ms per kilobyte of prose, so it only
  // reads the digit runs that could hold a number (7+ digits with phone
  // punctuation), which keeps its VALID leniency at a fraction of the cost.
  void FindPhones(std::string_view text, std::vector<Span>& out) const {
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    p_.phone_candidate.ForEach(text, [&](const RegexMatch& m) {
      std::string_view run = m.Group();
      if (std::count_if(run.begin(), run.end(), IsAsciiDigit) < 7) return;
      // A run inside a date, address or card found already would lose to it.
      const size_t found = out.size();
      for (size_t i = 0; i < found; ++i) {
        if (out[i].begin <= m.Begin() && m.End() <= out[i].end) return;
      }
      PhoneNumberMatcher matcher(util, std::string(run), region_, PhoneNumberMatcher::VALID, INT_MAX);
      while (matcher.HasNext()) {
        PhoneNumberMatch match;
        if (!matcher.Next(&match)) break;
        size_t begin = m.Begin() + static_cast<size_t>(match.start());
        out.push_back({begin, begin + static_cast<size_t>(match.length()), 0.99, kPhone});
      }
    });
  }

  void FindCards(std::string_view text, std::vector<Span>& out) const {
    p_.card.ForEach(text, [&](const RegexMatch& m) {
      std::string digits;
      for (char c : m.Group()) {
        if (IsAsciiDigit(c)) digits.push_back(c);
      }
      if (!CardGroupingValid(m.Group()) || !KnownCardPrefix(digits) || !LuhnValid(digits)) return;
      out.push_back({m.Begin(), m.End(), 0.99, kCard});
    });
  }

  void FindSsns(std::string_view text, std::vector<Span>& out) const {
    p_.ssn.ForEach(text, [&](const RegexMatch& m) {
      if (!SsnValid(m.Group(1), m.Group(2), m.Group(3))) return;
      bool context = HasContext(text, m.Begin(), 40, {"ssn", "social security", "ss#", "taxpayer"});
      out.push_back({m.Begin(), m.End(), context ? 0.95 : 0.85, kSsn});
    });
  }

  // The start pattern finds "CC00"; the rest is walked here because its
  // length depends on the country and it may be grouped by fours.
  void FindIbans(std::string_view text, std::vector<Span>& out) const {
    p_.iban_start.ForEach(text, [&](const RegexMatch& m) {
      const size_t want = static_cast<size_t>(IbanLength(m.Group(1)));
      if (want == 0) return;
      std::string compact;
      size_t i = m.Begin();
      while (i < text.size() && compact.size() < want) {
        char c = text[i];
        if ((c >= 'A' && c <= 'Z') || IsAsciiDigit(c)) {
          compact.push_back(c);
          ++i;
        } else if (c == ' ' && compact.size() % 4 == 0 && i + 1 < text.size() && IsAsciiAlnum(text[i + 1])) {
          ++i;
        } else {
          break;
        }
      }
      if (compact.size() != want) return;
      if (i < text.size() && IsAsciiAlnum(text[i])) return;  // longer than the country's IBANs
      if (!IbanValid(compact)) return;
      out.push_back({m.Begin(), i, 0.99, kIban});
    });
  }

  void FindIps(std::string_view text, std::vector<Span>& out) const {
    p_.ipv4.ForEach(text, [&](const RegexMatch& m) {
      for (int g = 1; g <= 4; ++g) {
        if (!Ipv4OctetValid(m.Group(g))) return;
      }
      for (const std::string& w : WordsBefore(text, m.Begin(), 2)) {
        if (std::find(kVersionWords.begin(), kVersionWords.end(), w) != kVersionWords.end()) return;
      }
      out.push_back({m.Begin(), m.End(), 0.9, kIp});
    });
    if (text.find(':') == std::string_view::npos) return;
    p_.ipv6.ForEach(text, [&](const RegexMatch& m) {
      std::string candidate(m.Group());
      int groups = 0;
      for (size_t i = 0; i < candidate.size(); ++i) {
        if (candidate[i] != ':' && (i == 0 || candidate[i - 1] == ':')) ++groups;
      }
      // Three groups keep C++ "a::b" and clock times out.
      in6_addr addr;
      if (groups < 3 || inet_pton(AF_INET6, candidate.c_str(), &addr) != 1) return;
      out.push_back({m.Begin(), m.End(), 0.95, kIp});
    });
  }

  void FindMacs(std::string_view text, std::vector<Span>& out) const {
    p_.mac.ForEach(text, [&](const RegexMatch& m) {
      std::string_view s = m.Group();
      bool hex_letter = std::any_of(s.begin(), s.end(), [](char c) { return IsAsciiAlpha(c); });
      // "12-34-56-78-90-12" is as likely an identifier as a MAC.
      double score = (m.Group(1) == "-" && !hex_letter) ? 0.8 : 0.9;
      out.push_back({m.Begin(), m.End(), score, kMac});
    });
  }

  void FindUrls(std::string_view text, std::vector<Span>& out) const {
    p_.url.ForEach(text, [&](const RegexMatch& m) {
      std::string_view url = m.Group();
      // Sentence punctuation after a URL is not part of it; nor is a closing
      // bracket whose opening one is outside.
      while (!url.empty()) {
        char c = url.back();
        if (std::string_view(".,;:!?'\"*").find(c) != std::string_view::npos) {
          url.remove_suffix(1);
        } else if (c == ')' || c == ']') {
          char open = c == ')' ? '(' : '[';
          if (std::count(url.begin(), url.end(), open) >= std::count(url.begin(), url.end(), c)) break;
          url.remove_suffix(1);
        } else {
          break;
        }
      }
      size_t scheme = url.find("://");
      std::string_view host = url.substr(scheme == std::string_view::npos ? 0 : scheme + 3);
      host = host.substr(0, host.find_first_of("/?#:"));
      if (host.empty() || host.find('.') == std::string_view::npos || host.back() == '.') return;
      if (AsciiLower(host).rfind("www.", 0) == 0 && host.size() <= 4) return;
      for (char c : host) {
        if (!IsAsciiAlnum(c) && c != '.' && c != '-' && static_cast<unsigned char>(c) < 0x80) return;
      }
      out.push_back({m.Begin(), m.Begin() + url.size(), 0.9, kUrl});
    });
  }

  void FindAwsKeys(std::string_view text, std::vector<Span>& out) const {
    std::vector<Span> access;
    p_.aws_access.ForEach(text, [&](const RegexMatch& m) {
      access.push_back({m.Begin(), m.End(), 0.95, kAwsAccessKey});
    });
    out.insert(out.end(), access.begin(), access.end());
    // A 40-character base64 string is everywhere (hashes, ids, blobs); only
    // one beside an access key or a "secret" label is taken for a secret key.
    if (access.empty() && !p_.secret_word.Search(text)) return;
    p_.aws_secret.ForEach(text, [&](const RegexMatch& m) {
      std::string_view s = m.Group();
      bool upper = false, lower = false, digit = false, non_hex = false;
      std::set<char> distinct;
      for (char c : s) {
        upper |= (c >= 'A' && c <= 'Z');
        lower |= (c >= 'a' && c <= 'z');
        digit |= IsAsciiDigit(c);
        non_hex |= !(IsAsciiDigit(c) || (AsciiLower(c) >= 'a' && AsciiLower(c) <= 'f'));
        distinct.insert(c);
      }
      // Hex digests (SHA-1 is 40 hex digits) and low-entropy runs are not keys.
      if (!upper || !lower || !digit || !non_hex || distinct.size() < 15) return;
      double score = 0;
      if (HasContext(text, m.Begin(), 100,
                     {"aws_secret_access_key", "secret_access_key", "secretaccesskey", "aws secret",
                      "secret access key"})) {
        score = 0.9;
      } else if (std::any_of(access.begin(), access.end(),
                             [&](const Span& a) {
                               return (a.end <= m.Begin() && m.Begin() - a.end <= 200) ||
                                      (m.End() <= a.begin && a.begin - m.End() <= 200);
                             }) ||
                 HasContext(text, m.Begin(), 60, {"secret"})) {
        score = 0.85;
      }
      if (score > 0) out.push_back({m.Begin(), m.End(), score, kAwsSecretKey});
    });
  }

  std::string region_;
  Patterns p_;
  DateFinder dates_;
};

}  // namespace

Result<PiiDetectorPtr> NewPiiDetector(const PiiDetectorOptions& options) {
  if (PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(options.default_phone_region) == 0) {
    return Status::InvalidInput("unknown phone region: " + options.default_phone_region);
  }
  Status error;
  auto compile = [&](std::string_view pattern, bool caseless = false) {
    Result<Regex> r = Regex::Compile(pattern, caseless);
    if (!r.ok()) {
      if (error.ok())
        error = Status::Internal("PII pattern " + std::string(pattern) + ": " + r.status().message());
      return Regex::Compile("x").value();  // placeholder, never used
    }
    return std::move(r).value();
  };
  LocalPiiDetector::Patterns p{compile(kEmailPattern),
                               compile(kPhoneCandidatePattern),
                               compile(kCardPattern),
                               compile(kSsnPattern),
                               compile(kIbanStartPattern),
                               compile(kIpv4Pattern),
                               compile(kIpv6Pattern),
                               compile(kMacPattern),
                               compile(kUrlPattern, /*caseless=*/true),
                               compile(kAwsAccessKeyPattern),
                               compile(kAwsSecretPattern),
                               compile(kSecretWordPattern, /*caseless=*/true)};
  if (!error.ok()) return error;
  Result<DateFinder> dates = DateFinder::Create();
  if (!dates.ok()) return dates.status();
  return PiiDetectorPtr(std::make_unique<LocalPiiDetector>(options.default_phone_region, std::move(p),
                                                           std::move(dates).value()));
}

}  // namespace docpipe
