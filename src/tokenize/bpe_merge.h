#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenize/rank_table.h"

namespace docpipe {

// Byte-level BPE of one pre-tokenised piece: repeatedly merge the adjacent
// pair whose concatenation has the lowest rank (the leftmost on ties) and
// append the ranks of the final parts to `out`. Every single byte must be a
// token. Pieces up to kQuadraticMergeMax bytes use the quadratic scan over a
// stack array (tiktoken's own algorithm); longer ones a heap.
inline constexpr size_t kQuadraticMergeMax = 128;
void BytePairEncode(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out);

// The two strategies, exposed so tests can check they agree.
void BytePairEncodeQuadratic(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out);
void BytePairEncodeHeap(const RankTable& ranks, std::string_view piece, std::vector<uint32_t>* out);

}  // namespace docpipe
