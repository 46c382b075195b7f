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
            "\"near\" OR \"a\" OR \"b\" OR \"and\" OR \"c\" OR \"or\" OR \"d\" OR \"e\" OR \"f\" OR \"col\" OR \"g\"");
}

TEST(FtsQueryTest, NoWordsGivesEmpty) {
  EXPECT_EQ(BuildFtsMatchExpression(""), "");
  EXPECT_EQ(BuildFtsMatchExpression("\"*()-+^:,.!? '"), "");
}

TEST(FtsQueryTest, DeduplicatesAndCapsTerms) {
  EXPECT_EQ(BuildFtsMatchExpression("a A a b"), "\"a\" OR \"b\"");
  EXPECT_EQ(BuildFtsMatchExpression("a b c d", 2), "\"a\" OR \"b\"");
}

TEST(FtsQueryTest, KeepsNonAsciiInsideWords) {
  EXPECT_EQ(BuildFtsMatchExpression("café naïve"), "\"café\" OR \"naïve\"");
}

}  // namespace
}  // namespace docpipe
