#include "cli/tokenize_command.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

TEST(TokenizeCommandTest, PrintsIdsAsJsonArray) {
  std::istringstream in("hello world");
  std::ostringstream out, err;
  EXPECT_EQ(RunTokenize("cl100k_base", false, in, out, err), 0);
  EXPECT_EQ(out.str(), "[15339,1917]\n");
  EXPECT_TRUE(err.str().empty());
}

TEST(TokenizeCommandTest, CountOnlyAndEmptyInput) {
  std::istringstream in("hello world");
  std::ostringstream out, err;
  EXPECT_EQ(RunTokenize("o200k_base", true, in, out, err), 0);
  EXPECT_EQ(out.str(), "2\n");
  std::istringstream empty("");
  std::ostringstream out2;
  EXPECT_EQ(RunTokenize("o200k_base", false, empty, out2, err), 0);
  EXPECT_EQ(out2.str(), "[]\n");
}

TEST(TokenizeCommandTest, UnknownEncodingIsAUsageError) {
  std::istringstream in("x");
  std::ostringstream out, err;
  EXPECT_EQ(RunTokenize("gpt2", false, in, out, err), 2);
  EXPECT_TRUE(out.str().empty());
  EXPECT_NE(err.str().find("unknown encoding 'gpt2'"), std::string::npos);
  EXPECT_NE(err.str().find("cl100k_base, o200k_base"), std::string::npos);
}

// Long runs take the heap merge and PCRE2's backtracking over whole runs;
// they must stay linear-ish and lossless.
TEST(TokenizeCommandTest, LongRunsAreLossless) {
  auto tok = OpenBpeTokenizer("o200k_base");
  ASSERT_TRUE(tok.ok());
  for (const std::string& s : {std::string(200000, ' ') + "x", std::string(100000, 'a'), std::string(50000, 'Q') + "s",
                               std::string(60000, '\n') + std::string(60000, '\t'), std::string(100000, '=')}) {
    const auto ids = (*tok)->Encode(s);
    auto back = (*tok)->Decode(ids);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
    EXPECT_LE(ids.size(), s.size() / 2 + 1);
  }
}

}  // namespace
}  // namespace docpipe
