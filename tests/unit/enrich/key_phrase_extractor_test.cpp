#include "enrich/key_phrase_extractor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace docpipe {
namespace {

class KeyPhraseExtractorTest : public ::testing::Test {
 protected:
  static std::vector<std::string> Texts(const std::vector<KeyPhrase>& phrases) {
    std::vector<std::string> out;
    for (const KeyPhrase& k : phrases) out.push_back(k.text);
    return out;
  }
  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }
};

constexpr const char* kParagraph =
    "Solar panels convert sunlight into electricity. Rooftop solar panels are now cheaper than ever, "
    "and many households pair solar panels with home battery storage. Home battery storage lets a "
    "family use solar electricity at night, while grid operators use battery storage to smooth "
    "demand peaks. Critics point out that battery production still depends on scarce minerals such "
    "as lithium and cobalt.";

TEST_F(KeyPhraseExtractorTest, RealParagraphTopPhrasesAreSensible) {
  std::vector<KeyPhrase> phrases = ExtractKeyPhrases(kParagraph, 5);
  ASSERT_EQ(phrases.size(), 5u);
  std::vector<std::string> texts = Texts(phrases);
  EXPECT_TRUE(Contains(texts, "home battery storage")) << ::testing::PrintToString(texts);
  EXPECT_TRUE(Contains(texts, "Rooftop solar panels") || Contains(texts, "Solar panels"))
      << ::testing::PrintToString(texts);
  // No stopwords or function words as phrases.
  for (const std::string& t : texts) {
    EXPECT_NE(t, "the");
    EXPECT_NE(t, "and");
  }
}

TEST_F(KeyPhraseExtractorTest, ScoresAreNormalisedAndSortedWithOffsets) {
  const std::string text = std::string("Über — ") + kParagraph;
  std::vector<KeyPhrase> phrases = ExtractKeyPhrases(text, 10);
  ASSERT_FALSE(phrases.empty());
  EXPECT_DOUBLE_EQ(phrases.front().score, 1.0);
  for (size_t i = 0; i < phrases.size(); ++i) {
    EXPECT_GT(phrases[i].score, 0.0);
    EXPECT_LE(phrases[i].score, 1.0);
    if (i > 0) {
      EXPECT_LE(phrases[i].score, phrases[i - 1].score);
    }
    // Offsets are code points: "Über — " is 7 code points but 10 bytes, and
    // the rest is ASCII.
    ASSERT_GE(phrases[i].begin_offset, 7);
    size_t byte = static_cast<size_t>(phrases[i].begin_offset) + 3;
    EXPECT_EQ(text.substr(byte, phrases[i].text.size()), phrases[i].text);
    EXPECT_EQ(phrases[i].end_offset - phrases[i].begin_offset, static_cast<int64_t>(phrases[i].text.size()));
  }
}

TEST_F(KeyPhraseExtractorTest, DistinctPhrasesAndLimit) {
  std::vector<std::string> texts = Texts(ExtractKeyPhrases(kParagraph, 100));
  std::vector<std::string> lower;
  for (std::string t : texts) {
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    lower.push_back(t);
  }
  std::sort(lower.begin(), lower.end());
  EXPECT_EQ(std::adjacent_find(lower.begin(), lower.end()), lower.end());
  EXPECT_EQ(ExtractKeyPhrases(kParagraph, 2).size(), 2u);
  EXPECT_TRUE(ExtractKeyPhrases(kParagraph, 0).empty());
  EXPECT_TRUE(ExtractKeyPhrases("", 5).empty());
  EXPECT_TRUE(ExtractKeyPhrases("the and of 42 , .", 5).empty());
}

TEST_F(KeyPhraseExtractorTest, PunctuationAndBlankLinesSplitPhrases) {
  std::vector<std::string> texts =
      Texts(ExtractKeyPhrases("quarterly revenue, operating margin\n\nnet income", 10));
  EXPECT_TRUE(Contains(texts, "quarterly revenue"));
  EXPECT_TRUE(Contains(texts, "operating margin"));
  EXPECT_TRUE(Contains(texts, "net income"));
}

}  // namespace
}  // namespace docpipe
