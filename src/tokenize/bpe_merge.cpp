#include "tokenize/bpe_merge.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <utility>

namespace docpipe {
namespace {

struct Part {
  uint32_t start;
  uint32_t rank;  // of this part joined with the next one; kNoRank if none
};

// tiktoken's _byte_pair_merge over parts[0..n] (n = piece size, parts[n] is
// the end sentinel).
template <typename Parts>
void MergeQuadratic(const RankTable& ranks, std::string_view piece, Parts& parts, std::vector<uint32_t>* out) {
  const size_t n = piece.size();
  size_t size = n + 1;
  for (size_t i = 0; i + 1 < n; ++i) parts[i] = Part{static_cast<uint32_t>(i), ranks.Find(piece.substr(i, 2))};
  parts[n - 1] = Part{static_cast<uint32_t>(n - 1), kNoRank};
  parts[n] = Part{static_cast<uint32_t>(n), kNoRank};
  // Rank of parts[i] joined with the part after its successor (used right
  // before parts[i + 1] is removed).
  auto rank_after_merge = [&](size_t i) {
    if (i + 3 >= size) return kNoRank;
    return ranks.Find(piece.substr(parts[i].start, parts[i + 3].start - parts[i].start));
  };
  while (size > 2) {
    uint32_t best = kNoRank;
    size_t at = 0;
    for (size_t i = 0; i + 1 < size; ++i) {
      if (parts[i].rank < best) {
        best = parts[i].rank;
        at = i;
      }
    }
    if (best == kNoRank) break;
    parts[at].rank = rank_after_merge(at);
    if (at > 0) parts[at - 1].rank = rank_after_merge(at - 1);
    for (size_t i = at + 1; i + 1 < size; ++i) parts[i] = parts[i + 1];
    --size;
  }
  for (size_t i = 0; i + 1 < size; ++i) {
    out->push_back(ranks.Find(piece.substr(parts[i].start, parts[i + 1].start - parts[i].start)));
  }
}

}  // namespace

void BytePairEncodeQuadratic(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out) {
  if (piece.empty()) return;
  if (piece.size() <= kQuadraticMergeMax) {
    Part parts[kQuadraticMergeMax + 1];
    MergeQuadratic(ranks, piece, parts, out);
  } else {
    std::vector<Part> parts(piece.size() + 1);
    MergeQuadratic(ranks, piece, parts, out);
  }
}

void BytePairEncodeHeap(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out) {
  const size_t n = piece.size();
  if (n == 0) return;
  // Parts as a linked list over their start offsets; next[n] ends the list.
  std::vector<uint32_t> next(n + 1), prev(n + 1);
  std::vector<uint32_t> pair_rank(n + 1, kNoRank);  // rank of part s joined with next[s]
  std::vector<bool> alive(n + 1, true);
  for (size_t i = 0; i <= n; ++i) {
    next[i] = static_cast<uint32_t>(i + 1);
    prev[i] = static_cast<uint32_t>(i == 0 ? 0 : i - 1);
  }
  using Entry = std::pair<uint32_t, uint32_t>;  // (rank, start): leftmost wins ties
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  auto pair_of = [&](uint32_t s) -> uint32_t {
    const uint32_t mid = next[s];
    if (mid >= n) return kNoRank;
    return ranks.Find(piece.substr(s, next[mid] - s));
  };
  for (uint32_t s = 0; s + 1 < n; ++s) {
    pair_rank[s] = pair_of(s);
    if (pair_rank[s] != kNoRank) heap.emplace(pair_rank[s], s);
  }
  while (!heap.empty()) {
    const auto [rank, s] = heap.top();
    heap.pop();
    // Distinct byte strings have distinct ranks, so a matching rank means
    // the entry still describes the current pair.
    if (!alive[s] || pair_rank[s] != rank) continue;
    const uint32_t gone = next[s];
    alive[gone] = false;
    next[s] = next[gone];
    prev[next[gone]] = s;
    pair_rank[s] = pair_of(s);
    if (pair_rank[s] != kNoRank) heap.emplace(pair_rank[s], s);
    if (s > 0) {
      const uint32_t p = prev[s];
      pair_rank[p] = pair_of(p);
      if (pair_rank[p] != kNoRank) heap.emplace(pair_rank[p], p);
    }
  }
  for (uint32_t s = 0; s < n; s = next[s]) out->push_back(ranks.Find(piece.substr(s, next[s] - s)));
}

void BytePairEncode(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out) {
  if (piece.size() <= kQuadraticMergeMax) {
    BytePairEncodeQuadratic(ranks, piece, out);
  } else {
    BytePairEncodeHeap(ranks, piece, out);
  }
}

}  // namespace docpipe
