#include "index/fts_query.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(FtsQueryTest, QuotesAndOrsWords) {
  EXPECT_EQ(BuildFtsMatchExpression("Hello, world!"), "\"hello\" OR \"world\"");
  EXPECT_EQ(BuildFtsMatchExpression("  x  "), "\"x\"");
}

TEST(FtsQueryTest, OperatorsBecomePlainTerms) {
  EXPECT_EQ(BuildFtsMatchExpression("NEAR(a b) AND \"c\" OR d* -e ^f col:g"),
            "\"near\" OR \"b\" OR \"c\" OR \"d\" OR \"e\" OR \"f\" OR \"col\" OR \"g\"");
}

TEST(FtsQueryTest, NoWordsGivesEmpty) {
  EXPECT_EQ(BuildFtsMatchExpression(""), "");
  EXPECT_EQ(BuildFtsMatchExpression("\"*()-+^:,.!? '"), "");
}

TEST(FtsQueryTest, DeduplicatesAndCapsTerms) {
  EXPECT_EQ(BuildFtsMatchExpression("x X x y"), "\"x\" OR \"y\"");
  EXPECT_EQ(BuildFtsMatchExpression("w x y z", 2), "\"w\" OR \"x\"");
}

TEST(FtsQueryTest, DropsFunctionWordsUnlessNothingElseIsLeft) {
  EXPECT_EQ(BuildFtsMatchExpression("How do I read the MPS format?"), "\"read\" OR \"mps\" OR \"format\"");
  EXPECT_EQ(BuildFtsMatchExpression("to be or not to be"), "\"to\" OR \"be\" OR \"or\" OR \"not\"");
}

TEST(FtsQueryTest, KeepsNonAsciiInsideWords) {
  EXPECT_EQ(BuildFtsMatchExpression("café naïve"), "\"café\" OR \"naïve\"");
}

}  // namespace
}  // namespace docpipe
