// ASCII and RFC 3986 string helpers (common/strings.h), shared by the AWS
// signer, S3 event keys, object listings and the zip-based document readers.
#include "common/strings.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(StringsTest, TrimsAsciiWhitespaceOnly) {
  EXPECT_EQ(Trim(" \t\r\n a b \v\f"), "a b");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // U+00A0 is not ASCII space
}

TEST(StringsTest, LowersAsciiLettersOnly) { EXPECT_EQ(AsciiLower("AbC-\xC3\x89"), "abc-\xC3\x89"); }

TEST(StringsTest, UriEncodeKeepsUnreservedAndOptionallySlash) {
  EXPECT_EQ(UriEncode("a-b_c.d~e/f g", /*keep_slash=*/true), "a-b_c.d~e/f%20g");
  EXPECT_EQ(UriEncode("a/b+c", /*keep_slash=*/false), "a%2Fb%2Bc");
  EXPECT_EQ(UriEncode("\xC3\xA9", false), "%C3%A9");
}

TEST(StringsTest, UriDecodeInvertsUriEncode) {
  const std::string raw = "input/Ré sumé+(1)%.pdf";
  Result<std::string> back = UriDecode(UriEncode(raw, true), /*plus_is_space=*/false);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, raw);
}

TEST(StringsTest, UriDecodePlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(*UriDecode("a+b%2b", true), "a b+");
  EXPECT_EQ(*UriDecode("a+b%2B", false), "a+b+");
}

TEST(StringsTest, UriDecodeRefusesMalformedEscapes) {
  for (const char* bad : {"%", "%4", "a%zz", "100%"}) {
    Result<std::string> r = UriDecode(bad, false);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().ToString().find("malformed percent-escape"), std::string::npos) << r.status().ToString();
  }
}

}  // namespace
}  // namespace docpipe
