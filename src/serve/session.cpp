#include "serve/session.h"

#include <charconv>

#include <fmt/format.h>

#include "common/hash.h"

namespace docpipe {
namespace {

constexpr const char* kKeyLabel = "docpipe dashboard session key v1";
constexpr size_t kNonceBytes = 18;

}  // namespace

SessionKeeper::SessionKeeper(const std::string& secret, Clock& clock, int64_t ttl_ms)
    : key_(HmacSha256(secret, kKeyLabel)), clock_(clock), ttl_ms_(ttl_ms) {}

std::string SessionKeeper::Sign(const std::string& payload) const {
  return Base64UrlEncode(HmacSha256(key_, "session|" + payload));
}

std::string SessionKeeper::CsrfToken(const std::string& nonce) const {
  return Base64UrlEncode(HmacSha256(key_, "csrf|" + nonce));
}

std::pair<std::string, Session> SessionKeeper::Issue() {
  Session s;
  s.nonce = Base64UrlEncode(RandomBytes(kNonceBytes));
  s.expires_at = clock_.NowMs() + ttl_ms_;
  s.csrf_token = CsrfToken(s.nonce);
  const std::string payload = fmt::format("v1.{}.{}", s.expires_at, s.nonce);
  return {payload + "." + Sign(payload), s};
}

std::optional<Session> SessionKeeper::Verify(const std::string& cookie) {
  // v1.<expires_at>.<nonce>.<signature>
  if (cookie.size() > 200 || cookie.rfind("v1.", 0) != 0) return std::nullopt;
  const size_t sig_at = cookie.rfind('.');
  const size_t nonce_at = cookie.rfind('.', sig_at - 1);
  if (sig_at == std::string::npos || nonce_at == std::string::npos || nonce_at < 3) return std::nullopt;
  const std::string payload = cookie.substr(0, sig_at);
  if (!ConstantTimeEquals(Sign(payload), cookie.substr(sig_at + 1))) return std::nullopt;
  Session s;
  const std::string expires = cookie.substr(3, nonce_at - 3);
  auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), s.expires_at);
  if (ec != std::errc() || end != expires.data() + expires.size()) return std::nullopt;
  s.nonce = cookie.substr(nonce_at + 1, sig_at - nonce_at - 1);
  const TimeMs now = clock_.NowMs();
  if (s.expires_at <= now) return std::nullopt;
  {
    std::lock_guard lock(mu_);
    while (!revoked_.empty() && revoked_.begin()->first <= now) revoked_.erase(revoked_.begin());
    if (revoked_.count({s.expires_at, s.nonce})) return std::nullopt;
  }
  s.csrf_token = CsrfToken(s.nonce);
  return s;
}

void SessionKeeper::Revoke(const Session& session) {
  std::lock_guard lock(mu_);
  revoked_.insert({session.expires_at, session.nonce});
}

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    size_t b = pos;
    while (b < end && header[b] == ' ') ++b;
    const size_t eq = header.find('=', b);
    if (eq != std::string::npos && eq < end && header.compare(b, eq - b, name) == 0) {
      return header.substr(eq + 1, end - eq - 1);
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace docpipe
