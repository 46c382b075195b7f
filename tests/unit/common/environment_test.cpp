// Environment (common/environment.h): the process environment as a map, and
// lookups where an empty variable counts as unset.
#include "common/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace docpipe {
namespace {

TEST(EnvironmentTest, EmptyCountsAsUnsetForLookupButValueReadsIt) {
  const Environment env = {{"SET", "value"}, {"EMPTY", ""}, {"WITH_EQUALS", "a=b"}};
  ASSERT_NE(EnvLookup(env, "SET"), nullptr);
  EXPECT_EQ(*EnvLookup(env, "SET"), "value");
  EXPECT_EQ(EnvLookup(env, "EMPTY"), nullptr);
  EXPECT_EQ(EnvLookup(env, "MISSING"), nullptr);
  EXPECT_EQ(EnvValue(env, "SET"), "value");
  EXPECT_EQ(EnvValue(env, "EMPTY"), "");
  EXPECT_EQ(EnvValue(env, "MISSING"), "");
  EXPECT_EQ(EnvValue(env, "WITH_EQUALS"), "a=b");
}

TEST(EnvironmentTest, TheProcessEnvironmentSplitsAtTheFirstEquals) {
  ASSERT_EQ(setenv("DOCPIPE_ENV_TEST", "x=y=z", 1), 0);
  ASSERT_EQ(setenv("DOCPIPE_ENV_TEST_EMPTY", "", 1), 0);
  const Environment env = ProcessEnvironment();
  unsetenv("DOCPIPE_ENV_TEST");
  unsetenv("DOCPIPE_ENV_TEST_EMPTY");
  EXPECT_EQ(EnvValue(env, "DOCPIPE_ENV_TEST"), "x=y=z");
  ASSERT_EQ(env.count("DOCPIPE_ENV_TEST_EMPTY"), 1u);
  EXPECT_EQ(EnvLookup(env, "DOCPIPE_ENV_TEST_EMPTY"), nullptr);
  EXPECT_EQ(EnvValue(env, "PATH"), std::getenv("PATH"));
}

}  // namespace
}  // namespace docpipe
