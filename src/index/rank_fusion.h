#pragma once

#include <cstdint>
#include <vector>

namespace docpipe {

// One item of a fused ranking. Ranks are 1-based; 0 means "not in that list".
struct FusedItem {
  int64_t id = 0;
  double score = 0;
  int vector_rank = 0;
  int keyword_rank = 0;
};

// Reciprocal rank fusion (Cormack et al. 2009): score(d) = sum over the lists
// containing d of 1 / (rrf_k + rank(d)). Each list is best first and holds
// distinct ids. Returns every id of either list, best first; ties go to the
// item with the better single rank, then to the smaller id, so the order is
// deterministic.
std::vector<FusedItem> FuseReciprocalRank(const std::vector<int64_t>& vector_list,
                                          const std::vector<int64_t>& keyword_list, int rrf_k);

}  // namespace docpipe
