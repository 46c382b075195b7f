#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "common/clock.h"

namespace docpipe {

// A signed-in dashboard session, as its cookie says.
struct Session {
  std::string nonce;      // random, names the session (logout revokes it)
  TimeMs expires_at = 0;
  std::string csrf_token;  // what state-changing requests must send in X-CSRF-Token
};

// Dashboard sessions without server state: the cookie holds an expiry and a
// random nonce, signed with HMAC-SHA256 under a key derived from the API
// token. Every head that knows the token accepts the cookie (several heads,
// restarts), and changing the token ends every session. The CSRF token is a
// second HMAC of the nonce, so it cannot be forged without the key and is
// useless without the cookie. Logout revokes the nonce in this process
// (until the session would have expired). Thread-safe.
class SessionKeeper {
 public:
  //! `secret`: the API token, or random bytes when there is none
  //! (--insecure-no-auth: sessions only carry the CSRF token then).
  SessionKeeper(const std::string& secret, Clock& clock, int64_t ttl_ms);

  //! A new session: the cookie value and the session it stands for.
  std::pair<std::string, Session> Issue();
  //! The session of a cookie value; nullopt when malformed, forged, expired or revoked.
  std::optional<Session> Verify(const std::string& cookie_value);
  //! Ends a session (logout).
  void Revoke(const Session& session);
  int64_t ttl_ms() const { return ttl_ms_; }

 private:
  std::string Sign(const std::string& payload) const;
  std::string CsrfToken(const std::string& nonce) const;

  const std::string key_;
  Clock& clock_;
  const int64_t ttl_ms_;
  std::mutex mu_;
  std::set<std::pair<TimeMs, std::string>> revoked_;  // (expires_at, nonce); pruned as they expire
};

// The value of cookie `name` in a Cookie header ("" when absent).
std::string CookieValue(const std::string& cookie_header, const std::string& name);

}  // namespace docpipe
