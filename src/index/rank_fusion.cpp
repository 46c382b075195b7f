#include "index/rank_fusion.h"

#include <algorithm>
#include <climits>
#include <unordered_map>

namespace docpipe {

std::vector<FusedItem> FuseReciprocalRank(const std::vector<int64_t>& vector_list,
                                          const std::vector<int64_t>& keyword_list, int rrf_k) {
  std::vector<FusedItem> items;
  std::unordered_map<int64_t, size_t> pos;
  auto slot = [&](int64_t id) -> FusedItem& {
    auto [it, inserted] = pos.emplace(id, items.size());
    if (inserted) items.push_back(FusedItem{id, 0, 0, 0});
    return items[it->second];
  };
  for (size_t i = 0; i < vector_list.size(); ++i) {
    FusedItem& item = slot(vector_list[i]);
    if (item.vector_rank != 0) continue;  // duplicate id: keep the best rank
    item.vector_rank = static_cast<int>(i + 1);
    item.score += 1.0 / (rrf_k + item.vector_rank);
  }
  for (size_t i = 0; i < keyword_list.size(); ++i) {
    FusedItem& item = slot(keyword_list[i]);
    if (item.keyword_rank != 0) continue;
    item.keyword_rank = static_cast<int>(i + 1);
    item.score += 1.0 / (rrf_k + item.keyword_rank);
  }
  auto best_rank = [](const FusedItem& f) {
    int a = f.vector_rank == 0 ? INT_MAX : f.vector_rank;
    int b = f.keyword_rank == 0 ? INT_MAX : f.keyword_rank;
    return std::min(a, b);
  };
  std::sort(items.begin(), items.end(), [&](const FusedItem& a, const FusedItem& b) {
    if (a.score != b.score) return a.score > b.score;
    if (best_rank(a) != best_rank(b)) return best_rank(a) < best_rank(b);
    return a.id < b.id;
  });
  return items;
}

}  // namespace docpipe
