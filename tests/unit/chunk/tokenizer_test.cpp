#include "chunk/tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace docpipe {
namespace {

class TokenizerTest : public ::testing::Test {
 protected:
  TokenizerPtr tok_ = NewEstimateTokenizer();
};

TEST_F(TokenizerTest, NameAndEmpty) {
  EXPECT_EQ(tok_->Name(), "estimate-v1");
  EXPECT_EQ(tok_->Count(""), 0u);
}

TEST_F(TokenizerTest, SingleWordsAndSymbols) {
  EXPECT_EQ(tok_->Count("hello"), 1u);
  EXPECT_EQ(tok_->Count(" hello"), 1u);  // the leading space is glued to the word, as in cl100k
  EXPECT_EQ(tok_->Count("."), 1u);
  EXPECT_EQ(tok_->Count("123"), 1u);
  EXPECT_EQ(tok_->Count("1234"), 2u);  // digits go in groups of three
  EXPECT_GE(tok_->Count("\n"), 1u);
}

// Counts measured with js-tiktoken (cl100k_base) on these exact strings. The
// estimate must not undercount and should stay within 30%.
struct Known {
  std::string text;
  size_t cl100k;
};

TEST_F(TokenizerTest, WithinRangeOfMeasuredCl100kCounts) {
  const std::vector<Known> known = {
      {"The quick brown fox jumps over the lazy dog.", 10},
      {"The simplex method solves linear programming problems by moving along the edges of the feasible "
       "polyhedron.",
       19},
      {"glp_set_obj_coef(lp, 1, 10.0);", 15},
      {"for (int i = 0; i < n; ++i) {\n    sum += a[i] * b[i];\n}", 27},
      {"| Parameter | Type | Default |\n|---|---|---|\n| tol_bnd | double | 1e-7 |", 27},
      {"线性规划问题的单纯形法求解器", 15},
      {"Die Optimierung linearer Programme ist ein wichtiges Gebiet der Mathematik.", 17},
      {"Version 5.0 was released on 2020-12-16 with 1234567 downloads.", 22},
  };
  for (const auto& k : known) {
    const double ratio = static_cast<double>(tok_->Count(k.text)) / static_cast<double>(k.cl100k);
    EXPECT_GE(ratio, 1.0) << k.text;
    EXPECT_LE(ratio, 1.3) << k.text;
  }
  // Short Cyrillic text is over-counted more (the per-byte rate is tuned on
  // long text); it must still never undercount.
  const std::string ru = "Линейное программирование — это метод оптимизации.";
  EXPECT_GE(tok_->Count(ru), 16u);
  EXPECT_LE(tok_->Count(ru), 32u);
}

TEST_F(TokenizerTest, GrowsWithText) {
  std::string text;
  size_t prev = 0;
  for (int i = 0; i < 50; ++i) {
    text += "Each constraint row adds another sentence to the model. ";
    const size_t now = tok_->Count(text);
    EXPECT_GT(now, prev);
    prev = now;
  }
  // Roughly additive: concatenation does not drift far from the sum of parts.
  const std::string a = "The basis factorization is updated after each pivot.";
  const std::string b = " Refactorization happens every 100 iterations.";
  const size_t sum = tok_->Count(a) + tok_->Count(b);
  const size_t joined = tok_->Count(a + b);
  EXPECT_LE(joined, sum + 1);
  EXPECT_GE(joined + 2, sum);
}

TEST_F(TokenizerTest, InvalidUtf8DoesNotCrashAndCounts) {
  const std::string bad = std::string("abc\xC3") + "\xFF\xFE" + "def\xE4\xB8";
  EXPECT_GE(tok_->Count(bad), 3u);
}

TEST_F(TokenizerTest, LongWordsCostMore) {
  EXPECT_LT(tok_->Count("cat"), tok_->Count("Donaudampfschifffahrtsgesellschaft"));
  EXPECT_GT(tok_->Count("GLPK"), tok_->Count("glpk"));  // acronyms split into more tokens
}

}  // namespace
}  // namespace docpipe
