#include "tokenize/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tokenize/bpe_merge.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

class BpeTokenizerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto t = OpenBpeTokenizer(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    tok_ = std::move(t).value();
  }
  BpeTokenizerPtr tok_;
};

INSTANTIATE_TEST_SUITE_P(Encodings, BpeTokenizerTest, ::testing::Values("cl100k_base", "o200k_base"));

TEST_P(BpeTokenizerTest, NameCountAndEncodeAgree) {
  EXPECT_EQ(tok_->Name(), GetParam());
  EXPECT_EQ(tok_->Count(""), 0u);
  EXPECT_TRUE(tok_->Encode("").empty());
  const std::string text = "The simplex method moves along the edges of the feasible polyhedron.";
  EXPECT_EQ(tok_->Count(text), tok_->Encode(text).size());
  EXPECT_LT(tok_->Count(text), text.size() / 2);
}

// A tally must count exactly what Count counts for the whole text, after any
// sequence of appends: fragments chosen to move the pre-tokeniser's piece
// boundaries (digit runs of 1-3, spaces before words, newlines after
// punctuation, contractions split across appends, case changes, marks, CJK,
// emoji, invalid bytes).
TEST_P(BpeTokenizerTest, TallyCountsLikeCountOfTheWholeText) {
  const std::vector<std::string> fragments = {
      " ",  "  ", "\t", "\n", "\n\n", "\r\n", " \n ", "1",   "23",  "4567", "'",   "s",   "'re", "ll",   "T",
      "he", "The", "HTML", "Parser", ".", "...", "/", "//", "(", ")",   ":",   "é",   "e\xcc\x81", "\xd8\xb3\xd9\x84",
      "线性", "规划", "🙂", "x_{i,j}", "glp_simplex()", "—", "<|endoftext|>", "  word"};
  // Invalid UTF-8 (a sequence may straddle two appends): only in odd texts,
  // so even ones stay on the incremental path throughout.
  const std::vector<std::string> invalid = {"\xff", "\xe2\x82", "\xac"};
  std::mt19937 rng(20261205);
  for (int text = 0; text < 60; ++text) {
    std::unique_ptr<TokenTally> tally = tok_->NewTally();
    std::string whole;
    for (int step = 0; step < 40; ++step) {
      std::string add;
      const int parts = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < parts; ++k) {
        add += text % 2 == 1 && rng() % 8 == 0 ? invalid[rng() % invalid.size()] : fragments[rng() % fragments.size()];
      }
      ASSERT_EQ(tally->CountWith(add), tok_->Count(whole + add)) << "text " << text << " step " << step;
      if (rng() % 4 == 0) continue;  // asked about, not added
      tally->Append(add);
      whole += add;
      ASSERT_EQ(tally->Text(), whole);
      ASSERT_EQ(tally->Tokens(), tok_->Count(whole)) << "text " << text << " step " << step;
    }
  }
}

TEST_P(BpeTokenizerTest, DecodeInvertsEncode) {
  std::mt19937 rng(7);
  const std::vector<std::string> parts = {"a", " word", "'S", "\n\n", "   ", "中文", "é", "👨‍👩‍👧", "123456", "==", "\t"};
  for (int i = 0; i < 300; ++i) {
    std::string s;
    for (int k = 0; k < 30; ++k) s += parts[rng() % parts.size()];
    auto back = tok_->Decode(tok_->Encode(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  const uint32_t bogus = 4000000;
  EXPECT_FALSE(tok_->Decode(std::vector<uint32_t>{bogus}).ok());
}

TEST_P(BpeTokenizerTest, SpecialTokensOnlyWhenAllowed) {
  const std::string text = "a<|endoftext|>b";
  const auto eot = tok_->SpecialTokenId("<|endoftext|>");
  ASSERT_TRUE(eot.has_value());
  const auto plain = tok_->Encode(text);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), *eot), 0);
  EXPECT_GT(plain.size(), 3u);  // "<|endoftext|>" is spelled with ordinary tokens
  EncodeOptions allow;
  allow.allowed_special = {"<|endoftext|>"};
  const auto special = tok_->Encode(text, allow);
  ASSERT_EQ(special.size(), 3u);
  EXPECT_EQ(special[1], *eot);
  EncodeOptions all;
  all.allow_all_special = true;
  EXPECT_EQ(tok_->Encode(text, all), special);
  EncodeOptions other;
  other.allowed_special = {"<|endofprompt|>"};
  EXPECT_EQ(tok_->Encode(text, other), plain);
  auto decoded = tok_->Decode(special);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, text);
}

TEST_P(BpeTokenizerTest, InvalidUtf8IsTokenisedAsReplacementCharacters) {
  const std::string bad = "ab\xC3(\xFF\xED\xA0\x80z";
  EXPECT_EQ(tok_->Encode(bad), tok_->Encode(RepairUtf8(bad)));
  EXPECT_EQ(RepairUtf8(bad), "ab\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
}

TEST_P(BpeTokenizerTest, ThreadsGetTheSameIds) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Paragraph " + std::to_string(i) + ": naïve café, 東京, don't stop. ";
  const auto want = tok_->Encode(text);
  std::vector<std::thread> threads;
  std::vector<bool> same(4, false);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool ok = true;
      for (int r = 0; r < 5; ++r) ok = ok && tok_->Encode(text) == want;
      same[t] = ok;
    });
  }
  for (auto& th : threads) th.join();
  for (bool s : same) EXPECT_TRUE(s);
}

// A few ids read off js-tiktoken 1.0.21 (the conformance test compares
// thousands more); they pin the table wiring, not the algorithm.
TEST(BpeKnownIdsTest, MatchJsTiktoken) {
  auto cl = OpenBpeTokenizer("cl100k_base");
  auto o = OpenBpeTokenizer("o200k_base");
  ASSERT_TRUE(cl.ok() && o.ok());
  EXPECT_EQ((*cl)->Encode("hello world"), (std::vector<uint32_t>{15339, 1917}));
  EXPECT_EQ((*o)->Encode("hello world"), (std::vector<uint32_t>{24912, 2375}));
  EXPECT_EQ((*cl)->Encode("I'LL"), (std::vector<uint32_t>{40, 6, 4178}));
  EXPECT_EQ((*o)->Encode("I'LL"), (std::vector<uint32_t>{40, 6, 7454}));
  EXPECT_EQ((*cl)->SpecialTokenId("<|endoftext|>"), 100257u);
  EXPECT_EQ((*o)->SpecialTokenId("<|endoftext|>"), 199999u);
}

TEST(BpeFactoryTest, UnknownEncodingListsSupported) {
  auto t = NewBpeTokenizer("p50k_base");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(t.status().IsNotFound());
  EXPECT_NE(t.status().message().find("cl100k_base, o200k_base"), std::string::npos);
  auto ok = NewBpeTokenizer("o200k_base");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->Name(), "o200k_base");
}

TEST(BpeFactoryTest, EncodingForModel) {
  EXPECT_EQ(EncodingForModel("text-embedding-3-small"), "cl100k_base");
  EXPECT_EQ(EncodingForModel("text-embedding-3-large"), "cl100k_base");
  EXPECT_EQ(EncodingForModel("text-embedding-ada-002"), "cl100k_base");
  EXPECT_EQ(EncodingForModel("gpt-4"), "cl100k_base");
  EXPECT_EQ(EncodingForModel("gpt-4o"), "o200k_base");
  EXPECT_EQ(EncodingForModel("gpt-4o-mini-2024-07-18"), "o200k_base");
  EXPECT_EQ(EncodingForModel("gpt-4.1-nano"), "o200k_base");
  EXPECT_EQ(EncodingForModel("o3-mini"), "o200k_base");
  EXPECT_EQ(EncodingForModel("ft:gpt-4o-mini:acme::abc123"), "o200k_base");
  EXPECT_EQ(EncodingForModel("openai/text-embedding-3-small"), "cl100k_base");
  EXPECT_FALSE(KnownEncodingForModel("nomic-embed-text").has_value());
  EXPECT_EQ(EncodingForModel("nomic-embed-text"), "cl100k_base");
}

// The quadratic merge (tiktoken's algorithm) and the heap merge used for long
// pieces must agree on every piece, including long ones.
TEST(BpeMergeTest, QuadraticAndHeapAgree) {
  auto tok = OpenBpeTokenizer("cl100k_base");
  ASSERT_TRUE(tok.ok());
  // Build a RankTable view through Decode: the tokenizer's own vocabulary.
  std::vector<std::string> storage;
  for (uint32_t id = 0; id < 100256; ++id) storage.push_back(*(*tok)->Decode(std::vector<uint32_t>{id}));
  std::vector<std::string_view> views(storage.begin(), storage.end());
  const RankTable ranks(views);
  std::mt19937 rng(11);
  const std::string alphabet = "aaaeeetttnnss  ==--..__01\xC3\xA9\xE4\xB8\xAD";
  for (int i = 0; i < 400; ++i) {
    std::string piece;
    const size_t n = 1 + rng() % 400;
    for (size_t k = 0; k < n; ++k) piece.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<uint32_t> a, b;
    BytePairEncodeQuadratic(ranks, piece, &a);
    BytePairEncodeHeap(ranks, piece, &b);
    ASSERT_EQ(a, b) << piece;
    std::string joined;
    for (uint32_t id : a) joined += storage[id];
    EXPECT_EQ(joined, piece);
  }
}

TEST(Utf8Test, RepairFollowsWhatwg) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(RepairUtf8("\xE4\xB8"), r);                   // truncated: one U+FFFD
  EXPECT_EQ(RepairUtf8("\xE4\xB8x"), r + "x");            // the next byte is kept
  EXPECT_EQ(RepairUtf8("\xC0\xAF"), r + r);                // C0 is never valid
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80"), r + r + r);        // surrogates: each byte
  EXPECT_EQ(RepairUtf8("\xF0\x9F\x98\xF0\x9F\x98\x80"), r + "\xF0\x9F\x98\x80");
  EXPECT_EQ(RepairUtf8("a\x80\x80"), "a" + r + r);
}

}  // namespace
}  // namespace docpipe
