#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

namespace docpipe {

inline constexpr uint32_t kNoRank = std::numeric_limits<uint32_t>::max();

// Byte string -> rank: a direct array for one and two bytes, else open
// addressing with linear probing. The first eight
// bytes of each key live in the slot, so most probes never touch the token
// bytes. Keys are views into memory that outlives the table (the embedded
// rank data). Immutable after construction; Find is thread-safe.
class RankTable {
 public:
  //! `tokens[rank]` is the token of that rank; empty views are gaps.
  explicit RankTable(const std::vector<std::string_view>& tokens);

  //! The rank of `bytes`, kNoRank if it is not a token.
  uint32_t Find(std::string_view bytes) const {
    if (bytes.size() <= 2) return FindShort(bytes);
    const uint64_t head = Head(bytes);
    const auto len = static_cast<uint32_t>(bytes.size());
    for (uint64_t i = Hash(bytes, head) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.len == 0) return kNoRank;
      if (s.len == len && s.head == head &&
          (len <= 8 || std::memcmp(tokens_[s.rank].data() + 8, bytes.data() + 8, len - 8) == 0)) {
        return s.rank;
      }
    }
  }

 private:
  // One- and two-byte strings (every BPE merge starts from these) come from
  // a direct 64K-entry array that stays in cache.
  uint32_t FindShort(std::string_view b) const {
    if (b.size() == 1) return short_[static_cast<unsigned char>(b[0])];
    if (b.empty()) return kNoRank;
    return short_[256 + (static_cast<unsigned char>(b[0]) << 8 | static_cast<unsigned char>(b[1]))];
  }

  struct Slot {
    uint64_t head = 0;  // the first min(len, 8) bytes, zero-padded
    uint32_t len = 0;   // 0 = empty slot
    uint32_t rank = 0;
  };

  static uint64_t Head(std::string_view b) {
    uint64_t h = 0;
    std::memcpy(&h, b.data(), b.size() < 8 ? b.size() : 8);
    return h;
  }
  static uint64_t Hash(std::string_view b, uint64_t head) {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
    uint64_t h = (head ^ (b.size() * 0xFF51AFD7ED558CCDULL)) * kMul;
    for (size_t i = 8; i < b.size(); i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, b.data() + i, b.size() - i < 8 ? b.size() - i : 8);
      h = ((h ^ (h >> 29)) + w) * kMul;
    }
    return h ^ (h >> 32);
  }

  std::vector<uint32_t> short_;  // [0, 256): one byte; [256, 256 + 65536): two bytes
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  const std::vector<std::string_view>& tokens_;
};

}  // namespace docpipe
