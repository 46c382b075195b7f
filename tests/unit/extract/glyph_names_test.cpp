#include "extract/glyph_names.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(GlyphNamesTest, AdobeGlyphListNames) {
  EXPECT_EQ(UnicodeFromGlyphName("eacute"), U"\u00E9");
  EXPECT_EQ(UnicodeFromGlyphName("A"), U"A");
  EXPECT_EQ(UnicodeFromGlyphName("quotedblleft"), U"\u201C");
}

TEST(GlyphNamesTest, UniAndUNames) {
  EXPECT_EQ(UnicodeFromGlyphName("uni0628"), U"\u0628");
  EXPECT_EQ(UnicodeFromGlyphName("uni00660069"), U"fi");
  EXPECT_EQ(UnicodeFromGlyphName("u1D400"), U"\U0001D400");
  EXPECT_EQ(UnicodeFromGlyphName("uniD800"), U"");  // a surrogate names nothing
}

TEST(GlyphNamesTest, LigaturesAndSuffixes) {
  EXPECT_EQ(UnicodeFromGlyphName("f_f_i"), U"ffi");
  EXPECT_EQ(UnicodeFromGlyphName("a.sc"), U"a");
  EXPECT_EQ(UnicodeFromGlyphName("uni0644_uni0627.fina"), U"\u0644\u0627");
}

TEST(GlyphNamesTest, NamesThatSayNothing) {
  EXPECT_EQ(UnicodeFromGlyphName(".notdef"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("g123"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("cid42"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("17"), U"");
  EXPECT_EQ(UnicodeFromGlyphName(""), U"");
  EXPECT_EQ(UnicodeFromGlyphName("f_g99"), U"");  // one unknown part: the whole name is unknown
}

}  // namespace
}  // namespace docpipe
