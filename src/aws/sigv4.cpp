// AWS Signature Version 4, header form. The rules follow botocore's
// SigV4Auth / S3SigV4Auth (tests/unit/aws/sigv4_test.cpp compares against it
// byte for byte); where this file deliberately departs from botocore the
// comment says so.

#include "aws/sigv4.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash.h"
#include "common/strings.h"

namespace docpipe {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kContentSha256Header = "X-Amz-Content-SHA256";

// Headers botocore never signs: hop-by-hop headers a proxy may rewrite, and
// ones clients or tracing agents change after signing. (Authorization is
// removed before signing rather than listed here.)
constexpr std::string_view kUnsignedHeaders[] = {
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
};

struct UrlParts {
  std::string scheme;  // lower-cased
  std::string host;    // lower-cased, userinfo dropped; IPv6 keeps its brackets
  std::string port;    // digits as written, "" when absent
  std::string path;    // as written (already percent-encoded)
  std::string query;   // without '?'
};

// Splits an absolute URL the way Python's urlsplit does for the URLs we send.
UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  size_t scheme_end = url.find("://");
  size_t authority_begin = 0;
  if (scheme_end != std::string_view::npos) {
    parts.scheme = AsciiLower(std::string(url.substr(0, scheme_end)));
    authority_begin = scheme_end + 3;
  }
  size_t authority_end = url.find_first_of("/?#", authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);

  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    host = authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1);
    std::string_view rest = authority.substr(host.size());
    if (!rest.empty() && rest.front() == ':') parts.port = std::string(rest.substr(1));
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    parts.port = std::string(authority.substr(colon + 1));
  }
  parts.host = AsciiLower(std::string(host));

  std::string_view rest = url.substr(authority_end);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t q = rest.find('?');
  parts.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) parts.query = std::string(rest.substr(q + 1));
  return parts;
}

// The Host value a client sends for `url`: the default port for the scheme is
// left out, any other port kept ("127.0.0.1:4566").
std::string HostFromUrl(const UrlParts& url) {
  if (url.port.empty()) return url.host;
  int port = 0;
  auto [end, ec] = std::from_chars(url.port.data(), url.port.data() + url.port.size(), port);
  if (ec != std::errc() || end != url.port.data() + url.port.size()) return url.host + ":" + url.port;
  bool is_default = (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80);
  return is_default ? url.host : fmt::format("{}:{}", url.host, port);
}

// RFC 3986 section 5.2.4, plus dropping empty segments ("a//b" -> "a/b"),
// which AWS services other than S3 expect (as botocore's remove_dot_segments).
std::string RemoveDotSegments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(pos, slash - pos);
    if (segment == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!segment.empty() && segment != ".") {
      out.push_back(segment);
    }
    pos = slash + 1;
  }
  std::string result = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (path.back() == '/' && !out.empty()) result += '/';
  return result;
}

std::string CanonicalUri(const UrlParts& url, const SigV4Params& params) {
  // S3 signs the path exactly as sent (keys may hold "//" or "." segments).
  // botocore would sign "" for an empty S3 path; "/" is what S3 itself
  // computes for the request line "GET / HTTP/1.1", so we sign that.
  if (params.service == "s3") return url.path.empty() ? "/" : url.path;
  // Every other service: normalize, then encode the already-encoded path a
  // second time ('%' becomes "%25"), as AWS documents and botocore does.
  return UriEncode(RemoveDotSegments(url.path), /*keep_slash=*/true);
}

// Decodes then re-encodes with the unreserved set, so "%7e" and "~" or "%2f"
// and "%2F" sign alike, as the service computes it from the decoded query.
// botocore signs the query as written; for the URLs UriEncode produces the two
// are identical. A malformed escape is kept as written.
std::string CanonicalQueryComponent(std::string_view s) {
  Result<std::string> decoded = UriDecode(std::string(s), /*plus_is_space=*/false);
  if (!decoded.ok()) return std::string(s);
  return UriEncode(*decoded, /*keep_slash=*/false);
}

std::string CanonicalQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view item = query.substr(pos, amp - pos);
    pos = amp + 1;
    // "a=1&&b=2" or a trailing '&' carry no parameter (botocore would sign
    // "=" for them; services ignore them).
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    pairs.emplace_back(CanonicalQueryComponent(name), CanonicalQueryComponent(value));
  }
  // By encoded name, then encoded value for repeated names (byte order).
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

// The whitespace Python's str.split() splits on, limited to ASCII.
bool IsSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

// Trims and collapses inner runs of whitespace to one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += static_cast<char>(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" lines, sorted
  std::string signed_names;  // "host;x-amz-date"
};

CanonicalHeaders BuildCanonicalHeaders(const HttpRequest& request, const UrlParts& url) {
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased name, trimmed value
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    std::string lower = AsciiLower(name);
    if (std::find(std::begin(kUnsignedHeaders), std::end(kUnsignedHeaders), lower) !=
        std::end(kUnsignedHeaders)) {
      continue;
    }
    has_host = has_host || lower == "host";
    headers.emplace_back(std::move(lower), TrimAll(value));
  }
  if (!has_host) headers.emplace_back("host", TrimAll(HostFromUrl(url)));
  // Stable: a repeated header keeps its values in request order, joined by ','.
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  CanonicalHeaders out;
  for (size_t i = 0; i < headers.size();) {
    const std::string& name = headers[i].first;
    out.block += name;
    out.block += ':';
    size_t j = i;
    for (; j < headers.size() && headers[j].first == name; ++j) {
      if (j > i) out.block += ',';
      out.block += headers[j].second;
    }
    out.block += '\n';
    if (!out.signed_names.empty()) out.signed_names += ';';
    out.signed_names += name;
    i = j;
  }
  return out;
}

std::tm UtcTm(TimeMs t) {
  // Floor division so times before the epoch still land on the right second.
  std::time_t seconds = static_cast<std::time_t>(t >= 0 ? t / 1000 : -((-t + 999) / 1000));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// "20150830T123600Z"
std::string AmzDate(TimeMs t) {
  std::tm tm = UtcTm(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// "Sun, 30 Aug 2015 12:36:00 -0000" (RFC 2822, as Python's email.utils.formatdate).
std::string HttpDate(TimeMs t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = UtcTm(t);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} -0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void RemoveHeader(HttpRequest& request, std::string_view name) {
  std::erase_if(request.headers, [&](const auto& kv) {
    return kv.first.size() == name.size() && strncasecmp(kv.first.c_str(), name.data(), name.size()) == 0;
  });
}

// The header changes that precede signing and depend only on the parameters
// (the security token is added by SignSigV4, which has the credentials).
// Idempotent, so the canonical request of a signed request is the one signed.
void PrepareHeaders(HttpRequest& request, const SigV4Params& params) {
  RemoveHeader(request, "Authorization");
  // A request that carries a Date header is dated by it (rewritten to the
  // signing time) and gets no X-Amz-Date; AWS accepts either, botocore does this.
  if (request.FindHeader("Date") != nullptr) {
    request.SetHeader("Date", HttpDate(params.time));
    RemoveHeader(request, "X-Amz-Date");
  } else {
    request.SetHeader("X-Amz-Date", AmzDate(params.time));
  }
  if (params.s3_content_sha256_header) {
    request.SetHeader(std::string(kContentSha256Header), Sha256Hex(request.body));
  }
}

// Canonical request of a request PrepareHeaders has already run on.
// `payload_override` replaces the payload hash (presigned URLs).
std::string CanonicalRequestOfPrepared(const HttpRequest& request, const SigV4Params& params,
                                       std::string* signed_headers, const char* payload_override = nullptr) {
  UrlParts url = SplitUrl(request.url);
  CanonicalHeaders headers = BuildCanonicalHeaders(request, url);
  // A caller-set X-Amz-Content-SHA256 (e.g. "UNSIGNED-PAYLOAD") is what the
  // service checks the body against, so it is also what gets signed.
  const std::string* declared = request.FindHeader(std::string(kContentSha256Header));
  std::string payload_hash = payload_override != nullptr ? payload_override
                             : declared != nullptr       ? *declared
                                                         : Sha256Hex(request.body);
  if (signed_headers != nullptr) *signed_headers = headers.signed_names;
  std::string method = request.method;
  for (char& c : method) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, CanonicalUri(url, params),
                     CanonicalQueryString(url.query), headers.block, headers.signed_names, payload_hash);
}

std::string CredentialScope(const SigV4Params& params) {
  return fmt::format("{}/{}/{}/aws4_request", AmzDate(params.time).substr(0, 8), params.region,
                     params.service);
}

std::string StringToSignFor(const std::string& canonical_request, const SigV4Params& params) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, AmzDate(params.time), CredentialScope(params),
                     Sha256Hex(canonical_request));
}

std::string SigningKey(const AwsCredentials& credentials, const SigV4Params& params);

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string SigningKey(const AwsCredentials& credentials, const SigV4Params& params) {
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, AmzDate(params.time).substr(0, 8));
  key = HmacSha256(key, params.region);
  key = HmacSha256(key, params.service);
  return HmacSha256(key, "aws4_request");
}

}  // namespace

std::string SigV4CanonicalRequest(const HttpRequest& request, const SigV4Params& params) {
  // A copy gets the same header changes SignSigV4 makes, except the security
  // token, which only the credentials know: pass the signed request (or one
  // already carrying X-Amz-Security-Token) to see exactly what was signed.
  HttpRequest prepared = request;
  PrepareHeaders(prepared, params);
  return CanonicalRequestOfPrepared(prepared, params, nullptr);
}

std::string SigV4StringToSign(const HttpRequest& request, const SigV4Params& params) {
  return StringToSignFor(SigV4CanonicalRequest(request, params), params);
}

void SignSigV4(HttpRequest& request, const AwsCredentials& credentials, const SigV4Params& params) {
  PrepareHeaders(request, params);
  if (!credentials.session_token.empty()) {
    request.SetHeader("X-Amz-Security-Token", credentials.session_token);
  }
  std::string signed_headers;
  std::string canonical_request = CanonicalRequestOfPrepared(request, params, &signed_headers);
  std::string string_to_sign = StringToSignFor(canonical_request, params);

  std::string signature = Hex(HmacSha256(SigningKey(credentials, params), string_to_sign));

  request.SetHeader("Authorization", fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}",
                                                 kAlgorithm, credentials.access_key_id,
                                                 CredentialScope(params), signed_headers, signature));
}

std::string PresignSigV4(const HttpRequest& request, const AwsCredentials& credentials, const SigV4Params& params,
                         int64_t expires_seconds) {
  HttpRequest prepared = request;
  RemoveHeader(prepared, "Authorization");
  RemoveHeader(prepared, "X-Amz-Date");
  RemoveHeader(prepared, std::string(kContentSha256Header));
  // botocore drops the form content type it adds to bodiless requests itself.
  if (const std::string* ct = prepared.FindHeader("Content-Type");
      ct != nullptr && *ct == "application/x-www-form-urlencoded; charset=utf-8") {
    RemoveHeader(prepared, "Content-Type");
  }
  UrlParts url = SplitUrl(prepared.url);
  const std::string signed_headers = BuildCanonicalHeaders(prepared, url).signed_names;
  // The operation's own parameters first, then the authentication ones in
  // botocore's order; X-Amz-Signature last, outside what is signed.
  std::string query = url.query;
  auto add = [&query](std::string_view name, const std::string& value) {
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    query += UriEncode(value, /*keep_slash=*/false);
  };
  add("X-Amz-Algorithm", std::string(kAlgorithm));
  add("X-Amz-Credential", credentials.access_key_id + "/" + CredentialScope(params));
  add("X-Amz-Date", AmzDate(params.time));
  add("X-Amz-Expires", std::to_string(expires_seconds));
  add("X-Amz-SignedHeaders", signed_headers);
  if (!credentials.session_token.empty()) add("X-Amz-Security-Token", credentials.session_token);
  size_t query_at = prepared.url.find('?');
  size_t fragment_at = prepared.url.find('#');
  std::string base = prepared.url.substr(0, std::min(query_at, fragment_at));
  prepared.url = base + "?" + query;

  const bool s3 = params.service == "s3";
  std::string canonical_request = CanonicalRequestOfPrepared(prepared, params, nullptr,
                                                             s3 ? "UNSIGNED-PAYLOAD" : nullptr);
  std::string string_to_sign = StringToSignFor(canonical_request, params);
  std::string signature = Hex(HmacSha256(SigningKey(credentials, params), string_to_sign));
  return prepared.url + "&X-Amz-Signature=" + signature;
}

}  // namespace docpipe
