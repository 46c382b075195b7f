#include "extract/tables.h"

#include <algorithm>
#include <cmath>

#include "extract/headings.h"

namespace docpipe {
namespace {

constexpr float kMinRuleWidth = 30;
constexpr float kSameY = 1.5f;
constexpr float kSameEdge = 6;
constexpr float kRulerGapEm = 0.8f;  // column gap inside a ruled region
constexpr size_t kMaxTableRules = 300;

struct Cell {
  float x0, x1;
  std::string text;
};

std::string TrimCellBlanks(const std::string& s) {
  size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::vector<Cell> CellsAt(const TextLine& line, float min_gap_em) {
  std::vector<Cell> cells;
  for (const TextSpan& s : line.spans) {
    if (cells.empty() || s.gap >= min_gap_em) {
      cells.push_back({s.x0, s.x1, s.text});
    } else {
      cells.back().x1 = std::max(cells.back().x1, s.x1);
      cells.back().text += s.text;
    }
  }
  for (Cell& c : cells) c.text = TrimCellBlanks(c.text);
  cells.erase(std::remove_if(cells.begin(), cells.end(), [](const Cell& c) { return c.text.empty(); }),
              cells.end());
  return cells;
}

std::string Escape(const std::string& cell) {
  std::string out;
  for (char c : cell) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string RenderRows(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    out += '|';
    for (const std::string& c : row) out += ' ' + Escape(c) + " |";
    out += '\n';
  };
  emit(rows[0]);
  out += '|';
  for (size_t c = 0; c < rows[0].size(); ++c) out += " --- |";
  out += '\n';
  for (size_t r = 1; r < rows.size(); ++r) emit(rows[r]);
  out.pop_back();
  return out;
}

// Columns as the union of cell extents; cells of `header_rows` (spanning
// header cells often bridge gutters) do not shape them when other rows exist.
std::vector<std::pair<float, float>> Columns(const std::vector<std::vector<Cell>>& rows, size_t header_rows) {
  std::vector<std::pair<float, float>> spans;
  for (size_t r = (rows.size() > header_rows + 1 ? header_rows : 0); r < rows.size(); ++r)
    for (const Cell& c : rows[r]) spans.push_back({c.x0, c.x1});
  std::sort(spans.begin(), spans.end());
  std::vector<std::pair<float, float>> cols;
  for (const auto& s : spans) {
    if (!cols.empty() && s.first <= cols.back().second + 1) {
      cols.back().second = std::max(cols.back().second, s.second);
    } else {
      cols.push_back(s);
    }
  }
  return cols;
}

// Cells of each row placed in `cols` (by the largest overlap); false when a
// row puts two cells in one column of a data row (not a grid after all).
bool Place(const std::vector<std::vector<Cell>>& rows, const std::vector<std::pair<float, float>>& cols,
           std::vector<std::vector<std::string>>* grid) {
  for (const auto& row : rows) {
    std::vector<std::string> out(cols.size());
    for (const Cell& c : row) {
      size_t best = 0;
      float best_overlap = -1e9f;
      for (size_t k = 0; k < cols.size(); ++k) {
        const float overlap = std::min(c.x1, cols[k].second) - std::max(c.x0, cols[k].first);
        if (overlap > best_overlap) best_overlap = overlap, best = k;
      }
      if (!out[best].empty()) out[best] += ' ';
      out[best] += c.text;
    }
    grid->push_back(std::move(out));
  }
  return true;
}

struct HRule {
  float x0, x1, y;
};

std::vector<HRule> MergedHorizontal(const std::vector<Rule>& rules) {
  std::vector<HRule> hs;
  for (const Rule& r : rules) {
    if (r.Horizontal()) hs.push_back({r.x0, r.x1, (r.y0 + r.y1) / 2});
  }
  std::sort(hs.begin(), hs.end(),
            [](const HRule& a, const HRule& b) { return a.y < b.y || (a.y == b.y && a.x0 < b.x0); });
  std::vector<HRule> out;
  for (const HRule& h : hs) {
    bool merged = false;
    for (auto it = out.rbegin(); it != out.rend() && h.y - it->y <= kSameY; ++it) {
      if (h.x0 <= it->x1 + 2 && h.x1 >= it->x0 - 2) {
        it->x0 = std::min(it->x0, h.x0);
        it->x1 = std::max(it->x1, h.x1);
        merged = true;
        break;
      }
    }
    if (!merged) out.push_back(h);
  }
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const HRule& h) { return h.x1 - h.x0 < kMinRuleWidth; }),
      out.end());
  return out;
}

struct LineRef {
  size_t block, line;
};

float CenterY(const TextLine& l) { return (l.y0 + l.y1) / 2; }
float CenterX(const TextLine& l) { return (l.x0 + l.x1) / 2; }

float MonoShare(const std::vector<const TextLine*>& lines) {
  int mono = 0, total = 0;
  for (const TextLine* l : lines)
    for (const TextSpan& s : l->spans) mono += s.mono ? s.chars : 0, total += s.chars;
  return total ? static_cast<float>(mono) / total : 0;
}

}  // namespace

bool RenderAlignedTable(const std::vector<const TextLine*>& lines, float min_gap_em, std::string* out) {
  if (lines.size() < 2) return false;
  std::vector<std::vector<Cell>> rows;
  int multi = 0;
  for (const TextLine* l : lines) {
    rows.push_back(CellsAt(*l, min_gap_em));
    multi += rows.back().size() >= 2 ? 1 : 0;
  }
  if (multi < 2 || multi * 10 < static_cast<int>(rows.size()) * 6) return false;
  const std::vector<std::pair<float, float>> cols = Columns(rows, 1);
  if (cols.size() < 2) return false;
  // Every data row with several cells must use distinct columns.
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<int> used(cols.size(), 0);
    for (const Cell& c : rows[r]) {
      for (size_t k = 0; k < cols.size(); ++k) {
        if (c.x0 < cols[k].second && c.x1 > cols[k].first) ++used[k];
      }
    }
    for (int u : used)
      if (u > 1) return false;
  }
  std::vector<std::vector<std::string>> grid;
  Place(rows, cols, &grid);
  *out = RenderRows(grid);
  return true;
}

void ExtractRuledTables(PageLayout& page) {
  const std::vector<HRule> rules = MergedHorizontal(page.rules);
  // Hundreds of rules are a drawing or a plot's grid, not a table.
  if (rules.size() < 2 || rules.size() > kMaxTableRules) return;
  std::vector<bool> rule_used(rules.size(), false);
  struct Found {
    size_t first_block;
    TextBlock block;
  };
  std::vector<Found> found;
  std::vector<std::vector<bool>> taken(page.blocks.size());
  for (size_t b = 0; b < page.blocks.size(); ++b) taken[b].assign(page.blocks[b].lines.size(), false);

  for (size_t i = 0; i < rules.size(); ++i) {
    if (rule_used[i]) continue;
    // Rules of the same extent below rule i, as long as the lines between
    // them stay inside that extent.
    std::vector<size_t> group = {i};
    for (size_t j = i + 1; j < rules.size(); ++j) {
      const bool same = std::abs(rules[j].x0 - rules[i].x0) <= kSameEdge &&
                        std::abs(rules[j].x1 - rules[i].x1) <= kSameEdge;
      const bool inside = rules[j].x0 >= rules[i].x0 - kSameEdge && rules[j].x1 <= rules[i].x1 + kSameEdge;
      if (same)
        group.push_back(j);
      else if (!inside)
        continue;  // another structure; partial rules (cmidrule) are ignored
    }
    if (group.size() < 2) continue;
    const HRule& top = rules[group.front()];
    // Grow the region rule by rule while it stays a table: every line
    // between consecutive rules lies within the extent.
    size_t last = 0;
    for (size_t g = 1; g < group.size(); ++g) {
      const float y0 = rules[group[g - 1]].y, y1 = rules[group[g]].y;
      bool ok = true;
      for (const TextBlock& blk : page.blocks) {
        for (const TextLine& l : blk.lines) {
          const float cy = CenterY(l);
          if (cy <= y0 || cy >= y1) continue;
          if (l.x0 < top.x0 - kSameEdge || l.x1 > top.x1 + kSameEdge) ok = false;
        }
      }
      if (!ok) break;
      last = g;
    }
    if (last == 0) continue;
    const float y_top = top.y, y_bottom = rules[group[last]].y;
    std::vector<float> inner;
    for (size_t g = 1; g < last; ++g) inner.push_back(rules[group[g]].y);

    std::vector<LineRef> refs;
    std::vector<const TextLine*> lines;
    for (size_t b = 0; b < page.blocks.size(); ++b) {
      for (size_t k = 0; k < page.blocks[b].lines.size(); ++k) {
        const TextLine& l = page.blocks[b].lines[k];
        const float cy = CenterY(l), cx = CenterX(l);
        if (cy > y_top && cy < y_bottom && cx >= top.x0 - 2 && cx <= top.x1 + 2 && !taken[b][k]) {
          refs.push_back({b, k});
          lines.push_back(&l);
        }
      }
    }
    if (lines.size() < 2 || MonoShare(lines) > 0.5f) continue;
    // Reading order inside the table is top-down, then left to right.
    std::vector<size_t> order(lines.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::abs(lines[a]->y1 - lines[b]->y1) > 1 ? lines[a]->y1 < lines[b]->y1
                                                       : lines[a]->x0 < lines[b]->x0;
    });
    // Rows: lines sharing a baseline form one row; with a rule between every
    // row (a grid), the lines between two rules do.
    // A grid has a rule between (nearly) all rows; booktabs only under the header.
    int baselines = 0;
    float prev_base = -1e9f;
    for (size_t k : order) {
      if (std::abs(lines[k]->y1 - prev_base) > 2) ++baselines;
      prev_base = lines[k]->y1;
    }
    const bool grid = !inner.empty() && (inner.size() + 1) * 10 >= static_cast<size_t>(baselines) * 8;
    std::vector<float> bounds = {y_top};
    for (float y : inner) bounds.push_back(y);
    bounds.push_back(y_bottom);
    auto band_of = [&](float y) {
      size_t k = 0;
      while (k + 1 < bounds.size() && y > bounds[k + 1]) ++k;
      return k;
    };
    std::vector<std::vector<Cell>> rows;
    std::vector<size_t> row_band;
    float last_base = -1e9f;
    for (size_t k : order) {
      const TextLine& l = *lines[k];
      std::vector<Cell> cells = CellsAt(l, kRulerGapEm);
      const size_t band = band_of(CenterY(l));
      const bool same_row =
          !rows.empty() && (grid ? row_band.back() == band : std::abs(l.y1 - last_base) <= 2);
      if (same_row) {
        for (Cell& c : cells) rows.back().push_back(std::move(c));
      } else {
        rows.push_back(std::move(cells));
        row_band.push_back(band);
      }
      last_base = l.y1;
    }
    // Header: the rows above the first inner rule when more rows follow.
    size_t header_rows = 1;
    if (!inner.empty() && !grid) {
      size_t h = 0;
      while (h < rows.size() && row_band[h] == 0) ++h;
      if (h >= 1 && h < rows.size() && h <= 3) header_rows = h;
    }
    std::vector<std::pair<float, float>> cols;
    // Vertical rules crossing most of the region split the columns.
    std::vector<float> xs;
    for (const Rule& r : page.rules) {
      if (r.Horizontal()) continue;
      const float x = (r.x0 + r.x1) / 2;
      if (x <= top.x0 + 3 || x >= top.x1 - 3) continue;
      if (std::min(r.y1, y_bottom) - std::max(r.y0, y_top) < 0.6f * (y_bottom - y_top)) continue;
      xs.push_back(x);
    }
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end(), [](float a, float b) { return b - a < 2; }), xs.end());
    if (!xs.empty()) {
      float left = top.x0;
      for (float x : xs) cols.push_back({left, x}), left = x;
      cols.push_back({left, top.x1});
    } else {
      cols = Columns(rows, header_rows);
    }
    if (cols.size() < 2 || rows.size() < 2) continue;
    std::vector<std::vector<std::string>> grid_rows;
    Place(rows, cols, &grid_rows);
    auto filled_cells = [](const std::vector<std::string>& r) {
      return static_cast<int>(
          std::count_if(r.begin(), r.end(), [](const std::string& c) { return !c.empty(); }));
    };
    // A first row of one cell over a table with its own header row is the
    // table's title ("Math library functions"): a caption, not the header.
    std::string title;
    if (header_rows == 1 && grid_rows.size() >= 3 && filled_cells(grid_rows[0]) == 1 &&
        filled_cells(grid_rows[1]) >= 2) {
      for (const std::string& c : grid_rows[0]) title += c;
      grid_rows.erase(grid_rows.begin());
    }
    // A row that only fills cells the row above left empty, with an empty
    // first column, continues that row (a cell wrapped onto a second line).
    for (size_t r = grid_rows.size(); r-- > header_rows + 1;) {
      const auto& cur = grid_rows[r];
      auto& prev = grid_rows[r - 1];
      if (!cur[0].empty() || filled_cells(cur) == 0) continue;
      bool fits = true;
      for (size_t c = 0; c < cur.size(); ++c) fits = fits && (cur[c].empty() || prev[c].empty());
      if (!fits) continue;
      for (size_t c = 0; c < cur.size(); ++c) {
        if (!cur[c].empty()) prev[c] = cur[c];
      }
      grid_rows.erase(grid_rows.begin() + static_cast<std::ptrdiff_t>(r));
    }
    if (header_rows > 1) {
      std::vector<std::string> head(cols.size());
      for (size_t r = 0; r < header_rows; ++r)
        for (size_t c = 0; c < cols.size(); ++c)
          if (!grid_rows[r][c].empty()) head[c] += (head[c].empty() ? "" : " ") + grid_rows[r][c];
      grid_rows.erase(grid_rows.begin(), grid_rows.begin() + static_cast<std::ptrdiff_t>(header_rows));
      grid_rows.insert(grid_rows.begin(), std::move(head));
    }
    if (grid_rows.size() < 2) continue;
    // A row with text in one column only, the rest empty, on every row:
    // prose between two rules, not a table.
    int filled_rows = 0;
    for (const auto& r : grid_rows) {
      int filled = 0;
      for (const auto& c : r) filled += c.empty() ? 0 : 1;
      filled_rows += filled >= 2 ? 1 : 0;
    }
    if (filled_rows * 2 < static_cast<int>(grid_rows.size())) continue;

    Found f;
    f.first_block = refs.front().block;
    for (const LineRef& r : refs) {
      taken[r.block][r.line] = true;
      f.first_block = std::min(f.first_block, r.block);
    }
    // Caption: a "Table N" line just above the top rule or below the bottom one.
    std::string caption;
    for (size_t b = 0; b < page.blocks.size() && caption.empty(); ++b) {
      for (size_t k = 0; k < page.blocks[b].lines.size(); ++k) {
        const TextLine& l = page.blocks[b].lines[k];
        const float h = std::max(4.0f, l.y1 - l.y0);
        const bool above = l.y1 <= y_top + 1 && y_top - l.y1 < 3 * h;
        const bool below = l.y0 >= y_bottom - 1 && l.y0 - y_bottom < 3 * h;
        if (taken[b][k] || (!above && !below) || !LooksLikeCaption(LineText(l))) continue;
        // The caption runs on over the following lines of its block.
        for (size_t m = k; m < page.blocks[b].lines.size() && !taken[b][m]; ++m) {
          const float cy = CenterY(page.blocks[b].lines[m]);
          if (m > k && cy > y_top && cy < y_bottom) break;
          if (!caption.empty()) caption += ' ';
          caption += LineText(page.blocks[b].lines[m]);
          taken[b][m] = true;
        }
        f.first_block = std::min(f.first_block, b);
        break;
      }
    }
    if (caption.empty()) caption = title;
    f.block.markdown = (caption.empty() ? "" : caption + "\n\n") + RenderRows(grid_rows);
    f.block.x0 = top.x0, f.block.x1 = top.x1, f.block.y0 = y_top, f.block.y1 = y_bottom;
    found.push_back(std::move(f));
    for (size_t g = 0; g <= last; ++g) rule_used[group[g]] = true;
  }
  if (found.empty()) return;
  std::vector<TextBlock> out;
  for (size_t b = 0; b < page.blocks.size(); ++b) {
    for (Found& f : found) {
      if (f.first_block == b) out.push_back(std::move(f.block));
    }
    TextBlock& blk = page.blocks[b];
    std::vector<TextLine> kept;
    for (size_t k = 0; k < blk.lines.size(); ++k) {
      if (!taken[b][k]) kept.push_back(std::move(blk.lines[k]));
    }
    if (kept.empty()) continue;
    blk.lines = std::move(kept);
    blk.y0 = blk.lines.front().y0, blk.y1 = blk.lines.back().y1;
    out.push_back(std::move(blk));
  }
  page.blocks = std::move(out);
}

}  // namespace docpipe
