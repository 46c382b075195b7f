#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace docpipe {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// `n` bytes from the system's cryptographic random source (OpenSSL RAND).
std::string RandomBytes(size_t n);

// Base64 with the URL and file name alphabet (RFC 4648 section 5), no padding.
std::string Base64UrlEncode(std::string_view bytes);
// nullopt when `text` holds a character outside that alphabet or has an impossible length.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// Whether two strings are equal, in time that depends on their lengths only.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Incremental SHA-256 for streamed content.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string FinalHex();

 private:
  struct State;
  std::unique_ptr<State> state_;  // opaque to keep OpenSSL out of the header
};

}  // namespace docpipe
