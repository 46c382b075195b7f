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

TEST(StringsTest, SuffixComparesAsciiLettersIgnoringCase) {
  EXPECT_TRUE(HasSuffixIgnoringCase("REPORT.PDF", ".pdf"));
  EXPECT_TRUE(HasSuffixIgnoringCase("notes.md", ".MD"));
  EXPECT_TRUE(HasSuffixIgnoringCase("x", ""));
  EXPECT_FALSE(HasSuffixIgnoringCase("pdf", ".pdf"));          // shorter than the suffix
  EXPECT_FALSE(HasSuffixIgnoringCase("report.pdf.txt", ".pdf"));
  EXPECT_FALSE(HasSuffixIgnoringCase("caf\xC3\x89", "\xC3\xA9"));  // non-ASCII letters are not folded
}

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

// Issue 17: escape sequences and U+202E in file names reached the terminal raw.
TEST(TerminalSafeTest, ControlCharactersAndBidiOverridesBecomeVisibleEscapes) {
  EXPECT_EQ(TerminalSafe("input/\x1b]0;pwned\x07report.pdf"), "input/\\x1b]0;pwned\\x07report.pdf");
  EXPECT_EQ(TerminalSafe("a\nb\rc\td\x7f"), "a\\x0ab\\x0dc\\x09d\\x7f");
  EXPECT_EQ(TerminalSafe("invoice\xE2\x80\xAEgpj.exe"), "invoice\\u202egpj.exe");  // U+202E RLO
  EXPECT_EQ(TerminalSafe("\xE2\x81\xA6x\xE2\x81\xA9"), "\\u2066x\\u2069");           // isolates
  EXPECT_EQ(TerminalSafe("\xE2\x80\x8F\xD8\x9C"), "\\u200f\\u061c");                  // RLM, ALM
  EXPECT_EQ(TerminalSafe("c1\xC2\x9B" "31m"), "c1\\u009b31m");                        // C1 CSI
  EXPECT_EQ(TerminalSafe("latin1 caf\xE9"), "latin1 caf\\xe9");                       // not UTF-8
}

TEST(TerminalSafeTest, OrdinaryTextOfAnyScriptIsKept) {
  for (const char* s : {"input/docs/report 2024.pdf", "input/\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9.pdf",
                        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "caf\xC3\xA9 \xEF\xBF\xBD", "C:\\path"}) {
    EXPECT_EQ(TerminalSafe(s), s);
  }
  EXPECT_EQ(TerminalSafe(""), "");
}

}  // namespace
}  // namespace docpipe
