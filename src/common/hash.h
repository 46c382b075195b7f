#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace docpipe {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

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
