// ChunkDocument with the exact BPE tokenizers: no chunk exceeds max_tokens by
// the exact count, and the recorded token_count is that count.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

// Markdown mixing what budgets trip over: long sentences, CJK without
// spaces, code, tables, long unbroken tokens, emoji, digits.
std::vector<ExtractedPage> MixedPages(unsigned seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> words = {"the", "simplex", "method", "pivots", "on", "a", "basis", "matrix",
                                          "naïve", "Größe", "матрица", "σύνολο", "行列", "的", "🙂", "12345",
                                          "x_{i,j}", "don't", "I'LL", "glp_simplex()", "—", "3.14159"};
  auto sentence = [&] {
    std::string s;
    const int n = 3 + static_cast<int>(rng() % 25);
    for (int i = 0; i < n; ++i) s += (i ? " " : "") + words[rng() % words.size()];
    return s + ". ";
  };
  std::vector<ExtractedPage> pages;
  for (int p = 1; p <= 4; ++p) {
    std::string md = "# Chapter " + std::to_string(p) + "\n\n";
    for (int b = 0; b < 8; ++b) {
      switch (rng() % 6) {
        case 0:
          md += "## Section " + std::to_string(b) + "\n\n";
          break;
        case 1: {
          md += "| a | b | c |\n|---|---|---|\n";
          for (int r = 0; r < 20; ++r) md += "| " + sentence() + " | " + std::to_string(rng()) + " | 行 |\n";
          md += "\n";
          break;
        }
        case 2: {
          md += "```c\n";
          for (int r = 0; r < 40; ++r) md += "    glp_set_col_bnds(lp, " + std::to_string(r) + ", GLP_DB, 0.0, 1.0);\n";
          md += "```\n\n";
          break;
        }
        case 3: {
          std::string cjk;
          const std::vector<std::string> han = {"线性", "规划", "问题", "的", "单纯形法", "求解器"};
          for (int r = 0; r < 150; ++r) cjk += han[rng() % han.size()];
          md += cjk + "\n\n";
          break;
        }
        case 4: {
          std::string blob;  // one "word" far over any budget
          for (int r = 0; r < 1500; ++r) blob.push_back("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/"[rng() % 44]);
          md += blob + "\n\n";
          break;
        }
        default: {
          std::string para;
          const int n = 1 + static_cast<int>(rng() % 30);
          for (int s = 0; s < n; ++s) para += sentence();
          md += para + "\n\n";
        }
      }
    }
    ExtractedPage page;
    page.number = p;
    page.markdown = md;
    pages.push_back(page);
  }
  return pages;
}

TEST(ChunkerExactCountTest, NoChunkExceedsMaxTokens) {
  for (const std::string enc : {"cl100k_base", "o200k_base"}) {
    auto tok = NewBpeTokenizer(enc);
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    for (const auto& [min, target, max, overlap] :
         std::vector<std::tuple<int, int, int, int>>{{16, 48, 64, 0}, {64, 200, 256, 32}, {128, 512, 1024, 64}}) {
      ChunkOptions o;
      o.min_tokens = min;
      o.target_tokens = target;
      o.max_tokens = max;
      o.overlap_tokens = overlap;
      for (unsigned seed = 1; seed <= 2; ++seed) {
        auto chunks = ChunkDocument("doc", "v1", MixedPages(seed), **tok, o);
        ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
        ASSERT_FALSE(chunks->empty());
        for (const Chunk& c : *chunks) {
          const size_t exact = (*tok)->Count(c.text);
          EXPECT_LE(exact, static_cast<size_t>(max)) << enc << " chunk " << c.index << " max " << max;
          EXPECT_EQ(static_cast<size_t>(c.token_count), exact) << enc << " chunk " << c.index;
        }
      }
    }
  }
}

// The exact tokenizer, but its tallies recount the whole text every time:
// the reference the incremental tally must give the same chunks as.
class ExactCountRecountingTokenizer final : public Tokenizer {
 public:
  explicit ExactCountRecountingTokenizer(const Tokenizer& real) : real_(real) {}
  std::string Name() const override { return real_.Name(); }
  size_t Count(std::string_view text) const override { return real_.Count(text); }
  std::unique_ptr<TokenTally> NewTally() const override { return std::make_unique<RecountingTally>(*this); }

 private:
  const Tokenizer& real_;
};

TEST(ChunkerExactCountTest, IncrementalTallyGivesTheSameChunksAsRecounting) {
  for (const std::string enc : {"cl100k_base", "o200k_base"}) {
    auto tok = NewBpeTokenizer(enc);
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    const ExactCountRecountingTokenizer recounting(**tok);
    for (const auto& [min, target, max, overlap] :
         std::vector<std::tuple<int, int, int, int>>{{16, 48, 64, 0}, {64, 200, 256, 32}, {128, 512, 1024, 0}}) {
      ChunkOptions o;
      o.min_tokens = min;
      o.target_tokens = target;
      o.max_tokens = max;
      o.overlap_tokens = overlap;
      for (unsigned seed = 3; seed <= 4; ++seed) {
        const std::vector<ExtractedPage> pages = MixedPages(seed);
        auto fast = ChunkDocument("doc", "v1", pages, **tok, o);
        auto reference = ChunkDocument("doc", "v1", pages, recounting, o);
        ASSERT_TRUE(fast.ok()) << fast.status().ToString();
        ASSERT_TRUE(reference.ok()) << reference.status().ToString();
        ASSERT_EQ(fast->size(), reference->size()) << enc << " target " << target << " seed " << seed;
        for (size_t i = 0; i < fast->size(); ++i) {
          EXPECT_EQ((*fast)[i].text, (*reference)[i].text) << enc << " chunk " << i;
          EXPECT_EQ((*fast)[i].token_count, (*reference)[i].token_count) << enc << " chunk " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace docpipe
