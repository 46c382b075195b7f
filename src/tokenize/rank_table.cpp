#include "tokenize/rank_table.h"

namespace docpipe {

RankTable::RankTable(const std::vector<std::string_view>& tokens) : tokens_(tokens) {
  size_t live = 0;
  for (auto t : tokens) live += t.empty() ? 0 : 1;
  size_t cap = 16;
  while (cap < live * 2 + 16) cap <<= 1;  // load factor <= 0.5
  slots_.resize(cap);
  short_.assign(256 + 65536, kNoRank);
  mask_ = cap - 1;
  for (size_t rank = 0; rank < tokens.size(); ++rank) {
    const std::string_view t = tokens[rank];
    if (t.empty()) continue;
    if (t.size() <= 2) {
      const auto b0 = static_cast<unsigned char>(t[0]);
      short_[t.size() == 1 ? b0 : 256 + (b0 << 8 | static_cast<unsigned char>(t[1]))] = static_cast<uint32_t>(rank);
      continue;
    }
    const uint64_t head = Head(t);
    uint64_t i = Hash(t, head) & mask_;
    // A repeated token keeps the highest rank, as js-tiktoken's map does.
    while (slots_[i].len != 0 && !(slots_[i].len == t.size() && tokens[slots_[i].rank] == t)) i = (i + 1) & mask_;
    slots_[i] = Slot{head, static_cast<uint32_t>(t.size()), static_cast<uint32_t>(rank)};
  }
}

}  // namespace docpipe
