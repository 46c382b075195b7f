#include "embed/embedder.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <string_view>

namespace docpipe {
namespace {

// Base64 (RFC 4648, standard alphabet, padded). Written out rather than via
// OpenSSL's EVP_DecodeBlock, which accepts whitespace and hides the true
// length behind padding.

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string Base64Encode(const unsigned char* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (i < n) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (i + 1 < n) v |= uint32_t{data[i + 1]} << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return Status::InvalidInput("base64 length not a multiple of 4");
  std::string out;
  out.reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    int pad = 0;
    if (last && s[i + 3] == '=') pad = s[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k >= 4 - static_cast<size_t>(pad)) {
        d = 0;  // padding position
      } else {
        d = B64Value(s[i + k]);
        if (d < 0) return Status::InvalidInput("invalid base64 character at offset " + std::to_string(i + k));
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    // Canonical form only: the bits dropped by padding must be zero.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
      return Status::InvalidInput("non-canonical base64 padding");
    }
    out.push_back(static_cast<char>((v >> 16) & 0xff));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

}  // namespace

std::string EncodeVectorBase64(const std::vector<float>& v) {
  static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);
  std::string bytes(v.size() * 4, '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t u = std::bit_cast<uint32_t>(v[i]);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((u >> (8 * b)) & 0xff);
  }
  return Base64Encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

Result<std::vector<float>> DecodeVectorBase64(const std::string& s, int dimension) {
  if (dimension <= 0) return Status::InvalidInput("vector dimension must be positive");
  Result<std::string> bytes = Base64Decode(s);
  if (!bytes.ok()) return bytes.status().Annotate("decoding vector");
  if (bytes->size() != static_cast<size_t>(dimension) * 4) {
    return Status::InvalidInput("decoding vector: " + std::to_string(bytes->size()) +
                                " bytes, expected " + std::to_string(dimension) + " floats (" +
                                std::to_string(static_cast<size_t>(dimension) * 4) + " bytes)");
  }
  std::vector<float> v(static_cast<size_t>(dimension));
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= uint32_t{static_cast<unsigned char>((*bytes)[i * 4 + b])} << (8 * b);
    v[i] = std::bit_cast<float>(u);
  }
  return v;
}

}  // namespace docpipe
