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

TEST(GlyphNamesTest, ArabicNamesInTheStyleOfTexArabicFonts) {
  // Glyph names of arabi's ae_Dimnah font (fontchart_arabic.pdf, no ToUnicode).
  EXPECT_EQ(UnicodeFromGlyphName("behinitial"), U"\uFE91");
  EXPECT_EQ(UnicodeFromGlyphName("noonisolated"), U"\u0646");  // isolated form: the letter
  EXPECT_EQ(UnicodeFromGlyphName("alefwithhamzabelowisolated"), U"\u0625");
  EXPECT_EQ(UnicodeFromGlyphName("lamwithaleffinal"), U"\uFEFC");
  EXPECT_EQ(UnicodeFromGlyphName("yehwithhamzaaboveinitial"), U"\uFE8B");
  EXPECT_EQ(UnicodeFromGlyphName("fathah"), U"\u064E");
  EXPECT_EQ(UnicodeFromGlyphName("shaddah"), U"\u0651");
  EXPECT_EQ(UnicodeFromGlyphName("sukun"), U"\u0652");
  EXPECT_EQ(UnicodeFromGlyphName("arabiccomma"), U"\u060C");
  EXPECT_EQ(UnicodeFromGlyphName("arabicquestionmark"), U"\u061F");
  EXPECT_EQ(UnicodeFromGlyphName("arabicindicdigitseven"), U"\u0667");
  EXPECT_EQ(UnicodeFromGlyphName("arabickaffinal"), U"\uFEDA");
  // Not Arabic by this rule: a Latin name keeps its AGL meaning or none.
  EXPECT_EQ(UnicodeFromGlyphName("percentsign"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("allahisolated"), U"");
}

TEST(GlyphNamesTest, ArabiType3FontNames) {
  // arabi's user_guide.pdf: '_' marks the side a glyph joins on.
  EXPECT_EQ(UnicodeFromGlyphName("_baa_"), U"\u0628");
  EXPECT_EQ(UnicodeFromGlyphName("jeem_"), U"\u062C");
  EXPECT_EQ(UnicodeFromGlyphName("_taa_marbutah"), U"\u0629");
  EXPECT_EQ(UnicodeFromGlyphName("_alef"), U"\u0627");
  EXPECT_EQ(UnicodeFromGlyphName("lam_hamzah_under_alef"), U"\u0644\u0625");
  EXPECT_EQ(UnicodeFromGlyphName("arab_seven"), U"\u0667");
  EXPECT_EQ(UnicodeFromGlyphName("meem"), U"\u0645");
  // Unmarked and known to the AGL: the AGL's meaning stands (Hebrew alef).
  EXPECT_EQ(UnicodeFromGlyphName("alef"), U"\u05D0");
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
