#include "aws/credentials.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "common/xml_text.h"
#include "common/backoff.h"

namespace docpipe {
namespace {

// Refresh this long before expiry, so credentials handed out stay good for
// the requests signed with them, including slow uploads and retries.
constexpr int64_t kRefreshWindowMs = 5 * 60 * 1000;
// After a failed refresh while the cached credentials are still valid, wait
// this long before trying again, so every Get() in the window does not pay
// for a full retry cycle against a failing endpoint.
constexpr int64_t kFailedRefreshRetryMs = 10'000;

// The ECS agent and EKS Pod Identity endpoints answer locally and fast.
constexpr int64_t kContainerConnectTimeoutMs = 2'000;
constexpr int64_t kContainerTimeoutMs = 5'000;
constexpr int64_t kStsConnectTimeoutMs = 3'000;
constexpr int64_t kStsTimeoutMs = 10'000;
// One try plus three retries of transport errors, 5xx and throttling.
constexpr int kMaxAttempts = 4;
constexpr int64_t kCredentialsBackoffBaseMs = 100;
constexpr int64_t kBackoffMaxMs = 1'000;
// Remote error messages are quoted at most this long.
constexpr size_t kMaxRemoteMessage = 256;

constexpr const char* kContainerHost = "169.254.170.2";

// ---------------------------------------------------------------------------
// Small helpers

// An environment variable; empty counts as unset (`AWS_PROFILE=` in a shell
// means "none", as in the AWS SDKs).
// Removes every occurrence of the given secrets from a message that quotes a
// remote answer, in case a server echoes what we sent.
std::string Scrub(std::string message, std::initializer_list<std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    if (secret.size() < 4) continue;  // too short to be a secret; would mangle the text
    for (size_t pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos)) {
      message.replace(pos, secret.size(), "[redacted]");
      pos += std::string_view("[redacted]").size();
    }
  }
  if (message.size() > kMaxRemoteMessage) message = message.substr(0, kMaxRemoteMessage) + "...";
  return message;
}

// "~/x" → "$HOME/x", as the AWS CLI does for the file variables.
std::string ExpandHome(const std::string& path, const std::string& home) {
  if (!home.empty() && (path == "~" || path.starts_with("~/"))) return home + path.substr(1);
  return path;
}

// The file's content, std::nullopt when it does not exist. Error messages name
// the path only, never the content.
Result<std::optional<std::string>> ReadOptionalFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) return std::optional<std::string>();
  if (ec) return Status::InvalidInput(fmt::format("cannot read {}: {}", path, ec.message()));
  if (std::filesystem::is_directory(st))
    return Status::InvalidInput(fmt::format("cannot read {}: is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::InvalidInput(fmt::format("cannot read {}", path));
  return std::optional<std::string>(ss.str());
}

// A token file (web identity JWT, container authorization token), re-read on
// every refresh because the platform rotates it in place.
Result<std::string> ReadTokenFile(const std::string& path, const char* variable) {
  Result<std::optional<std::string>> content = ReadOptionalFile(path);
  if (!content.ok()) return content.status().Annotate(variable);
  if (!content->has_value())
    return Status::InvalidInput(fmt::format("{}: {} does not exist", variable, path));
  std::string token(Trim(**content));
  if (token.empty()) return Status::InvalidInput(fmt::format("{}: {} is empty", variable, path));
  return token;
}

// "2026-11-26T12:00:00Z", "2026-11-26T12:00:00.123456Z", "...+01:00".
// Fractional seconds beyond milliseconds are truncated.
std::optional<TimeMs> ParseIso8601Utc(std::string_view s) {
  auto digits = [&](size_t pos, size_t len) -> int {
    if (pos + len > s.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  int year = digits(0, 4), mon = digits(5, 2), day = digits(8, 2);
  int hour = digits(11, 2), min = digits(14, 2), sec = digits(17, 2);
  if (year < 0 || mon < 0 || day < 0 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_ms = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '+' ? 1 : -1;
    int oh = digits(pos + 1, 2);
    size_t mpos = pos + 3 < s.size() && s[pos + 3] == ':' ? pos + 4 : pos + 3;
    int om = digits(mpos, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_ms = sign * (oh * 3600 + om * 60) * int64_t{1000};
    pos = mpos + 2;
  } else {
    return std::nullopt;  // a time without a zone is ambiguous
  }
  if (pos != s.size()) return std::nullopt;

  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(mon)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  int64_t days = sys_days(ymd).time_since_epoch().count();
  return (days * 86400 + hour * 3600 + min * 60 + sec) * int64_t{1000} + ms - offset_ms;
}

// Sends `request`, retrying transport errors, timeouts and answers for which
// `retryable` is true, with a short jittered backoff on `clock`. Returns the
// last answer (which may still be a retryable failure) or transport error.
template <typename Retryable>
Result<HttpResponse> SendWithRetries(HttpClient& http, Clock& clock, std::mt19937_64& rng,
                                     const HttpRequest& request, Retryable retryable) {
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> r = http.Send(request);
    bool again = r.ok() ? retryable(*r)
                        : r.status().code() == Status::Code::kUnavailable ||
                              r.status().code() == Status::Code::kTimeout;
    if (!again || attempt == kMaxAttempts) return r;
    clock.SleepMs(JitteredBackoffMs(attempt, kCredentialsBackoffBaseMs, kBackoffMaxMs, rng));
  }
}

// The Status for a non-2xx answer: 429 → Throttled, 5xx → Unavailable, other → InvalidInput.
Status HttpErrorStatus(int status, std::string what) {
  if (status == 429) return Status::Throttled(std::move(what));
  if (status >= 500) return Status::Unavailable(std::move(what));
  return Status::InvalidInput(std::move(what));
}

// ---------------------------------------------------------------------------
// Sources: one link of the chain each. Fetch() returns credentials, an error
// when the source is configured but fails, or std::nullopt (with `skipped`
// saying why) when it is not configured at all, so the chain moves on.

using FetchResult = Result<std::optional<AwsCredentials>>;

FetchResult NotConfigured(std::string& skipped, std::string why) {
  skipped = std::move(why);
  return std::optional<AwsCredentials>();
}

FetchResult Found(AwsCredentials c) { return std::optional<AwsCredentials>(std::move(c)); }

class Source {
 public:
  virtual ~Source() = default;
  virtual const char* Name() const = 0;
  // Called only by one thread at a time (the chain serializes refreshes).
  virtual FetchResult Fetch(std::string& skipped) = 0;
};

// 1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]
class EnvironmentSource final : public Source {
 public:
  explicit EnvironmentSource(const Environment& env) : env_(env) {}
  const char* Name() const override { return "environment"; }

  FetchResult Fetch(std::string& skipped) override {
    std::string key = EnvValue(env_, "AWS_ACCESS_KEY_ID");
    std::string secret = EnvValue(env_, "AWS_SECRET_ACCESS_KEY");
    if (key.empty() && secret.empty()) {
      return NotConfigured(skipped, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set");
    }
    // Half a key pair is a mistake worth stopping for, not a reason to pick
    // up some other identity further down the chain.
    if (key.empty()) {
      return Status::InvalidInput("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
    }
    if (secret.empty()) {
      return Status::InvalidInput("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
    return Found({std::move(key), std::move(secret), EnvValue(env_, "AWS_SESSION_TOKEN"), 0});
  }

 private:
  const Environment& env_;
};

// 2. STS AssumeRoleWithWebIdentity with the token in AWS_WEB_IDENTITY_TOKEN_FILE (EKS IRSA).
class WebIdentitySource final : public Source {
 public:
  WebIdentitySource(const Environment& env, HttpClient& http, Clock& clock)
      : env_(env), http_(http), clock_(clock), rng_(std::random_device{}()) {}
  const char* Name() const override { return "web identity"; }

  FetchResult Fetch(std::string& skipped) override {
    std::string token_file = EnvValue(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    if (token_file.empty()) return NotConfigured(skipped, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
    std::string role_arn = EnvValue(env_, "AWS_ROLE_ARN");
    if (role_arn.empty()) {
      return Status::InvalidInput("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    }
    if (session_name_.empty()) {
      session_name_ = EnvValue(env_, "AWS_ROLE_SESSION_NAME");
      if (session_name_.empty()) session_name_ = fmt::format("docpipe-{}", clock_.NowMs());
    }
    Result<std::string> token = ReadTokenFile(token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!token.ok()) return token.status();

    std::string region = EnvValue(env_, "AWS_REGION");
    if (region.empty()) region = EnvValue(env_, "AWS_DEFAULT_REGION");
    if (region.empty()) region = "us-east-1";
    std::string endpoint = EnvValue(env_, "AWS_ENDPOINT_URL_STS");
    if (endpoint.empty()) endpoint = EnvValue(env_, "AWS_ENDPOINT_URL");
    if (endpoint.empty()) {
      endpoint =
          fmt::format("https://sts.{}.amazonaws.com{}", region, region.starts_with("cn-") ? ".cn" : "");
    }
    while (endpoint.ends_with('/')) endpoint.pop_back();

    HttpRequest request;
    request.method = "POST";
    request.url = endpoint + "/";
    request.SetHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    request.body = fmt::format(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
        "&RoleArn={}&RoleSessionName={}&WebIdentityToken={}",
        UriEncode(role_arn, false), UriEncode(session_name_, false), UriEncode(*token, false));
    request.connect_timeout_ms = kStsConnectTimeoutMs;
    request.timeout_ms = kStsTimeoutMs;

    // IDPCommunicationError means STS could not reach the identity provider;
    // the SDKs retry it like a 5xx.
    Result<HttpResponse> r = SendWithRetries(http_, clock_, rng_, request, [](const HttpResponse& resp) {
      if (resp.status >= 500 || resp.status == 429) return true;
      std::optional<std::string> code = XmlText(resp.body, "Code");
      return resp.status == 400 && code && (*code == "IDPCommunicationError" || *code == "Throttling");
    });
    const std::string what = fmt::format("STS AssumeRoleWithWebIdentity ({})", request.url);
    if (!r.ok()) return r.status().Annotate(what);
    if (r->status < 200 || r->status >= 300) {
      std::string code = XmlText(r->body, "Code").value_or("");
      std::string message = Scrub(XmlText(r->body, "Message").value_or(""), {*token});
      std::string text = fmt::format("{}: {}{}{} (HTTP {})", what, code.empty() ? "error" : code,
                                     message.empty() ? "" : ": ", message, r->status);
      if (code == "Throttling") return Status::Throttled(text);
      if (code == "IDPCommunicationError") return Status::Unavailable(text);
      return HttpErrorStatus(r->status, text);
    }
    // Look inside <Credentials> only; never quote the body (it holds secrets).
    std::optional<std::string> creds = XmlText(r->body, "Credentials");
    if (!creds) return Status::Internal(what + ": answer has no <Credentials> element");
    AwsCredentials c;
    const std::pair<const char*, std::string*> fields[] = {{"AccessKeyId", &c.access_key_id},
                                                           {"SecretAccessKey", &c.secret_access_key},
                                                           {"SessionToken", &c.session_token}};
    for (const auto& [tag, out] : fields) {
      std::optional<std::string> v = XmlText(*creds, tag);
      if (!v || Trim(*v).empty()) return Status::Internal(fmt::format("{}: answer has no {}", what, tag));
      *out = std::string(Trim(*v));
    }
    std::string expiration = std::string(Trim(XmlText(*creds, "Expiration").value_or("")));
    std::optional<TimeMs> exp = ParseIso8601Utc(expiration);
    if (!exp) return Status::Internal(fmt::format("{}: unparsable Expiration '{}'", what, expiration));
    c.expiration = *exp;
    return Found(std::move(c));
  }

 private:
  const Environment& env_;
  HttpClient& http_;
  Clock& clock_;
  std::mt19937_64 rng_;
  std::string session_name_;  // chosen once, so CloudTrail shows one session per process
};

// Sections of one INI file: name → key (lower-cased) → value.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// The AWS shared-file dialect: [section], key = value, full-line comments
// with # or ;, inline comments after whitespace. Indented lines under a key
// with an empty value are nested settings ("s3 =\n  addressing_style = path")
// and are skipped so they cannot pose as profile keys; other indented lines
// are ordinary keys.
// Errors name the file and line but never quote the line (it may hold a secret).
Result<IniSections> ParseIni(const std::string& text, const std::string& path) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  bool in_nested = false;  // after "key =" with no value
  std::istringstream in(text);
  std::string raw;
  for (int line_no = 1; std::getline(in, raw); ++line_no) {
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = std::isspace(static_cast<unsigned char>(raw[0]));
    if (indented && in_nested && line[0] != '[') continue;
    if (line[0] == '[') {
      size_t close = line.find(']');
      std::string_view rest = close == std::string_view::npos ? "" : Trim(line.substr(close + 1));
      if (close == std::string_view::npos || (!rest.empty() && rest[0] != '#' && rest[0] != ';')) {
        return Status::InvalidInput(fmt::format("{}:{}: malformed section header", path, line_no));
      }
      current = &sections[std::string(Trim(line.substr(1, close - 1)))];
      in_nested = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || Trim(line.substr(0, eq)).empty()) {
      return Status::InvalidInput(fmt::format("{}:{}: expected 'key = value'", path, line_no));
    }
    if (current == nullptr) continue;  // a key before any section belongs to no profile
    std::string_view value = line.substr(eq + 1);
    for (size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && std::isspace(static_cast<unsigned char>(value[i - 1]))) {
        value = value.substr(0, i);
        break;
      }
    }
    value = Trim(value);
    (*current)[AsciiLower(Trim(line.substr(0, eq)))] = std::string(value);
    in_nested = value.empty();
  }
  return sections;
}

// 3. ~/.aws/credentials and ~/.aws/config.
class SharedFilesSource final : public Source {
 public:
  explicit SharedFilesSource(const Environment& env) : env_(env) {}
  const char* Name() const override { return "shared files"; }

  FetchResult Fetch(std::string& skipped) override {
    std::string home = EnvValue(env_, "HOME");
    std::string credentials_path = ExpandHome(EnvValue(env_, "AWS_SHARED_CREDENTIALS_FILE"), home);
    std::string config_path = ExpandHome(EnvValue(env_, "AWS_CONFIG_FILE"), home);
    if (credentials_path.empty() && !home.empty()) credentials_path = home + "/.aws/credentials";
    if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";

    std::string profile = EnvValue(env_, "AWS_PROFILE");
    const char* profile_var = "AWS_PROFILE";
    if (profile.empty()) {
      profile = EnvValue(env_, "AWS_DEFAULT_PROFILE");
      profile_var = "AWS_DEFAULT_PROFILE";
    }
    // A profile the user named must exist; only the implicit "default" may be absent.
    const bool explicit_profile = !profile.empty();
    if (!explicit_profile) profile = "default";

    if (credentials_path.empty() && config_path.empty()) {
      if (explicit_profile) {
        return Status::InvalidInput(
            fmt::format("{} is \"{}\" but HOME, AWS_SHARED_CREDENTIALS_FILE and "
                        "AWS_CONFIG_FILE are unset, so there is no file to read it from",
                        profile_var, profile));
      }
      return NotConfigured(skipped, "HOME not set");
    }

    std::optional<std::map<std::string, std::string>> from_credentials, from_config;
    if (!credentials_path.empty()) {
      Result<std::optional<IniSections>> sections = Load(credentials_path);
      if (!sections.ok()) return sections.status();
      if (*sections) {
        auto it = (*sections)->find(profile);
        if (it != (*sections)->end()) from_credentials = it->second;
      }
    }
    if (!config_path.empty()) {
      Result<std::optional<IniSections>> sections = Load(config_path);
      if (!sections.ok()) return sections.status();
      if (*sections) {
        // In the config file profiles are "[profile NAME]"; "default" may also be bare.
        for (const auto& [name, keys] : **sections) {
          std::string_view n = name;
          bool match = (n == "default" && profile == "default") ||
                       (n.starts_with("profile") && n.size() > 7 &&
                        std::isspace(static_cast<unsigned char>(n[7])) && Trim(n.substr(7)) == profile);
          if (!match) continue;
          if (!from_config) from_config.emplace();
          for (const auto& [k, v] : keys) (*from_config)[k] = v;
        }
      }
    }

    const std::string files = Describe(credentials_path, config_path);
    if (!from_credentials && !from_config) {
      if (explicit_profile) {
        return Status::InvalidInput(
            fmt::format("{} is \"{}\" but no such profile exists in {}", profile_var, profile, files));
      }
      return NotConfigured(skipped, fmt::format("no [default] profile in {}", files));
    }

    auto get = [](const std::optional<std::map<std::string, std::string>>& section, const char* key) {
      if (!section) return std::string();
      auto it = section->find(key);
      return it == section->end() ? std::string() : it->second;
    };
    auto has = [&](const char* key) {
      return !get(from_credentials, key).empty() || !get(from_config, key).empty();
    };

    // The SDKs assume a role or use SSO in preference to static keys in the
    // same profile; silently using the keys would run as a different identity.
    for (const char* key : {"role_arn", "sso_session", "sso_start_url"}) {
      if (has(key)) {
        return Status::InvalidInput(fmt::format(
            "profile \"{}\" uses {}, which docpipe does not support; use a profile with aws_access_key_id "
            "and aws_secret_access_key, or export credentials (e.g. `aws configure export-credentials "
            "--profile {} --format env`)",
            profile, key, profile));
      }
    }

    // The key pair and token come as a unit from one file, the credentials
    // file first, so a key id from one file is never paired with a secret
    // (or a stale session token) from the other.
    const auto& primary = !get(from_credentials, "aws_access_key_id").empty() ||
                                  !get(from_credentials, "aws_secret_access_key").empty()
                              ? from_credentials
                              : from_config;
    const std::string& primary_path = &primary == &from_credentials ? credentials_path : config_path;
    AwsCredentials c{get(primary, "aws_access_key_id"), get(primary, "aws_secret_access_key"),
                     get(primary, "aws_session_token"), 0};
    if (!c.access_key_id.empty() && !c.secret_access_key.empty()) return Found(std::move(c));
    if (!c.access_key_id.empty() || !c.secret_access_key.empty()) {
      return Status::InvalidInput(
          fmt::format("profile \"{}\" in {} has {} but no {}", profile, primary_path,
                      c.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                      c.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
    }
    if (has("credential_process")) {
      return Status::InvalidInput(
          fmt::format("profile \"{}\" uses credential_process, which docpipe does not support", profile));
    }
    if (explicit_profile) {
      return Status::InvalidInput(
          fmt::format("profile \"{}\" (from {}) has no aws_access_key_id/aws_secret_access_key in {}",
                      profile, profile_var, files));
    }
    // A [default] profile holding only settings such as region is common.
    return NotConfigured(skipped, fmt::format("profile \"default\" in {} has no credentials", files));
  }

 private:
  static Result<std::optional<IniSections>> Load(const std::string& path) {
    Result<std::optional<std::string>> text = ReadOptionalFile(path);
    if (!text.ok()) return text.status();
    if (!*text) return std::optional<IniSections>();
    Result<IniSections> sections = ParseIni(**text, path);
    if (!sections.ok()) return sections.status();
    return std::optional<IniSections>(std::move(*sections));
  }

  static std::string Describe(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + " or " + b;
  }

  const Environment& env_;
};

// True when `host` (lower-cased; IPv6 in brackets) may be reached over plain
// http: loopback and the ECS / EKS Pod Identity link-local agents, as in the
// AWS SDKs. Dotted quads are parsed strictly so "127.0.0.1.example.com" or
// octal spellings do not pass.
bool IsAllowedHttpHost(const std::string& host) {
  if (host == "localhost" || host == "[::1]" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "[fd00:ec2::23]") {
    return true;
  }
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view part =
        std::string_view(host).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty() || part.size() > 3 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoi(std::string(part)) > 255) {
      return false;
    }
    if (parts == 0 && part != "127") return false;
    ++parts;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

// Checks an AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere, http only to
// the hosts above (a plain-http URL elsewhere would hand the authorization
// token and the credentials to the network).
Status CheckFullUri(const std::string& url) {
  size_t colon = url.find("://");
  std::string scheme = colon == std::string::npos ? "" : AsciiLower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidInput("AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
  }
  if (scheme == "https") return Status::Ok();
  size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority =
      AsciiLower(url.substr(start, end == std::string::npos ? std::string::npos : end - start));
  // Parsers disagree on user-info ("http://127.0.0.1@evil/"), so refuse it.
  if (authority.find_first_of("@\\") != std::string::npos) {
    return Status::InvalidInput("AWS_CONTAINER_CREDENTIALS_FULL_URI must not contain user information");
  }
  std::string host;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    host = close == std::string::npos ? authority : authority.substr(0, close + 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  if (!IsAllowedHttpHost(host)) {
    return Status::InvalidInput(
        fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI host '{}' is not allowed over http: "
                    "use https, a loopback address, 169.254.170.2 or 169.254.170.23",
                    host));
  }
  return Status::Ok();
}

// 4. The ECS task-role / EKS Pod Identity endpoint.
class ContainerSource final : public Source {
 public:
  ContainerSource(const Environment& env, HttpClient& http, Clock& clock)
      : env_(env), http_(http), clock_(clock), rng_(std::random_device{}()) {}
  const char* Name() const override { return "container endpoint"; }

  FetchResult Fetch(std::string& skipped) override {
    std::string relative = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    std::string full = EnvValue(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    HttpRequest request;
    // The relative URI wins when both are set, as in the SDKs.
    if (!relative.empty()) {
      request.url =
          fmt::format("http://{}{}{}", kContainerHost, relative.starts_with('/') ? "" : "/", relative);
    } else if (!full.empty()) {
      DOCPIPE_RETURN_IF_ERROR(CheckFullUri(full));
      request.url = full;
    } else {
      return NotConfigured(skipped, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set");
    }
    // The file wins over the literal token: EKS Pod Identity rotates the file.
    std::string token;
    if (std::string file = EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
      Result<std::string> t = ReadTokenFile(file, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      if (!t.ok()) return t.status();
      token = std::move(*t);
    } else {
      token = std::string(Trim(EnvValue(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")));
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidInput("the container authorization token contains a line break");
    }
    if (!token.empty()) request.SetHeader("Authorization", token);
    request.SetHeader("Accept", "application/json");
    request.connect_timeout_ms = kContainerConnectTimeoutMs;
    request.timeout_ms = kContainerTimeoutMs;

    Result<HttpResponse> r = SendWithRetries(http_, clock_, rng_, request, [](const HttpResponse& resp) {
      return resp.status >= 500 || resp.status == 429;
    });
    const std::string what = fmt::format("container credentials endpoint {}", request.url);
    if (!r.ok()) return r.status().Annotate(what);
    if (r->status < 200 || r->status >= 300) {
      // Error answers are {"code": ..., "message": ...}; quote the message only.
      std::string message;
      nlohmann::json err = nlohmann::json::parse(r->body, nullptr, false);
      if (err.is_object()) {
        for (const char* k : {"message", "Message"}) {
          if (err.contains(k) && err[k].is_string()) message = err[k].get<std::string>();
        }
      }
      message = Scrub(message, {token});
      return HttpErrorStatus(
          r->status, fmt::format("{}: HTTP {}{}{}", what, r->status, message.empty() ? "" : ": ", message));
    }
    // Never quote the body of a 200: it holds the secret.
    nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object()) return Status::Internal(what + ": answer is not a JSON object");
    auto field = [&](const char* k) {
      return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
    };
    AwsCredentials c{field("AccessKeyId"), field("SecretAccessKey"), field("Token"), 0};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return Status::Internal(what + ": answer lacks AccessKeyId or SecretAccessKey");
    }
    if (std::string expiration = field("Expiration"); !expiration.empty()) {
      std::optional<TimeMs> exp = ParseIso8601Utc(expiration);
      if (!exp) return Status::Internal(fmt::format("{}: unparsable Expiration '{}'", what, expiration));
      c.expiration = *exp;
    }
    return Found(std::move(c));
  }

 private:
  const Environment& env_;
  HttpClient& http_;
  Clock& clock_;
  std::mt19937_64 rng_;
};

// ---------------------------------------------------------------------------

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(AwsCredentials c) : credentials_(std::move(c)) {}
  Result<AwsCredentials> Get() override { return credentials_; }

 private:
  const AwsCredentials credentials_;
};

// The chain with its cache. Two locks: `mu_` guards the cached credentials
// and is held only briefly; `refresh_mu_` is held for a whole refresh, so
// one refresh runs at a time while callers with still-valid credentials are
// served from the cache instead of waiting on the network.
class DefaultChain final : public CredentialsProvider {
 public:
  DefaultChain(Environment env, HttpClient& http, Clock& clock) : env_(std::move(env)), clock_(clock) {
    sources_.push_back(std::make_unique<EnvironmentSource>(env_));
    sources_.push_back(std::make_unique<WebIdentitySource>(env_, http, clock));
    sources_.push_back(std::make_unique<SharedFilesSource>(env_));
    sources_.push_back(std::make_unique<ContainerSource>(env_, http, clock));
  }

  Result<AwsCredentials> Get() override {
    if (std::optional<AwsCredentials> c = Cached(/*fresh_only=*/true)) return *c;
    std::unique_lock refresh(refresh_mu_, std::try_to_lock);
    if (!refresh.owns_lock()) {
      // Someone else is refreshing: valid credentials beat waiting for them.
      if (std::optional<AwsCredentials> c = Cached(/*fresh_only=*/false)) return *c;
      refresh.lock();
    }
    // The refresh we waited for may have done the work.
    if (std::optional<AwsCredentials> c = Cached(/*fresh_only=*/true)) return *c;

    Result<AwsCredentials> fetched = Resolve();
    std::lock_guard lock(mu_);
    const TimeMs now = clock_.NowMs();
    if (fetched.ok()) {
      cached_ = *fetched;
      // Credentials issued already inside the window are not re-fetched on
      // every call.
      refresh_at_ = std::max(fetched->expiration - kRefreshWindowMs, now + kFailedRefreshRetryMs);
      return fetched;
    }
    if (cached_ && (cached_->expiration == 0 || now < cached_->expiration)) {
      refresh_at_ = now + kFailedRefreshRetryMs;  // still valid: keep using it, try again soon
      return *cached_;
    }
    return fetched.status();
  }

 private:
  // The cached credentials if usable now: unexpired, and when `fresh_only`
  // also not yet due for refresh.
  std::optional<AwsCredentials> Cached(bool fresh_only) {
    std::lock_guard lock(mu_);
    if (!cached_) return std::nullopt;
    const TimeMs now = clock_.NowMs();
    if (cached_->expiration == 0) return cached_;
    if (now >= cached_->expiration) return std::nullopt;
    if (fresh_only && now >= refresh_at_) return std::nullopt;
    return cached_;
  }

  // Runs under refresh_mu_. After the first success only that source is
  // asked again: falling back to another identity mid-run would be a surprise.
  Result<AwsCredentials> Resolve() {
    if (chosen_) {
      std::string skipped;
      FetchResult r = chosen_->Fetch(skipped);
      if (!r.ok())
        return r.status().Annotate(fmt::format("refreshing AWS credentials from {}", chosen_->Name()));
      if (!*r) {
        return Status::Unavailable(
            fmt::format("AWS credentials from {} are no longer configured: {}", chosen_->Name(), skipped));
      }
      return std::move(**r);
    }
    std::vector<std::string> tried;
    for (const auto& source : sources_) {
      std::string skipped;
      FetchResult r = source->Fetch(skipped);
      if (!r.ok()) return r.status().Annotate(fmt::format("AWS credentials from {}", source->Name()));
      if (*r) {
        chosen_ = source.get();
        return std::move(**r);
      }
      tried.push_back(fmt::format("{}: {}", source->Name(), skipped));
    }
    return Status::Unavailable(
        fmt::format("no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run "
                    "with a task role "
                    "(tried {})",
                    fmt::join(tried, "; ")));
  }

  const Environment env_;  // a copy: the caller's map need not outlive us
  Clock& clock_;
  std::vector<std::unique_ptr<Source>> sources_;

  std::mutex refresh_mu_;
  Source* chosen_ = nullptr;  // guarded by refresh_mu_

  std::mutex mu_;
  std::optional<AwsCredentials> cached_;  // guarded by mu_
  TimeMs refresh_at_ = 0;                 // guarded by mu_; meaningful when cached_ expires
};

}  // namespace

CredentialsProviderPtr NewStaticCredentialsProvider(AwsCredentials credentials) {
  return std::make_unique<StaticProvider>(std::move(credentials));
}

CredentialsProviderPtr NewDefaultCredentialsChain(const Environment& env, HttpClient& http, Clock& clock) {
  return std::make_unique<DefaultChain>(env, http, clock);
}

}  // namespace docpipe
