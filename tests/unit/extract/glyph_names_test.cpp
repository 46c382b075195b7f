#include "extract/glyph_names.h"

#include <gtest/gtest.h>

#include <utility>

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

TEST(GlyphNamesTest, ArabicNamesOfTexArabicFonts) {
  const std::pair<const char*, std::u32string> kNames[] = {
      // arabi's ae_Dimnah (fontchart_arabic.pdf, no ToUnicode): descriptive names.
      {"behinitial", U"\uFE91"},
      {"noonisolated", U"\u0646"},  // isolated form: the letter
      {"alefwithhamzabelowisolated", U"\u0625"},
      {"lamwithaleffinal", U"\uFEFC"},
      {"yehwithhamzaaboveinitial", U"\uFE8B"},
      {"fathah", U"\u064E"},
      {"shaddah", U"\u0651"},
      {"sukun", U"\u0652"},
      {"arabiccomma", U"\u060C"},
      {"arabicquestionmark", U"\u061F"},
      {"arabicindicdigitseven", U"\u0667"},
      {"arabickaffinal", U"\uFEDA"},
      // arabi's Type 3 fonts (user_guide.pdf): '_' marks the side a glyph joins on.
      {"_baa_", U"\u0628"},
      {"jeem_", U"\u062C"},
      {"_taa_marbutah", U"\u0629"},
      {"_alef", U"\u0627"},
      {"lam_hamzah_under_alef", U"\u0644\u0625"},
      {"arab_seven", U"\u0667"},
      {"meem", U"\u0645"},
      // Not Arabic by these rules: a name keeps its AGL meaning (Hebrew alef) or none.
      {"alef", U"\u05D0"},
      {"percentsign", U""},
      {"allahisolated", U""},
  };
  for (const auto& [name, text] : kNames) EXPECT_EQ(UnicodeFromGlyphName(name), text) << name;
}

TEST(GlyphNamesTest, NamesThatSayNothing) {
  EXPECT_EQ(UnicodeFromGlyphName(".notdef"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("g123"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("cid42"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("17"), U"");
  EXPECT_EQ(UnicodeFromGlyphName(""), U"");
  EXPECT_EQ(UnicodeFromGlyphName("f_g99"), U"");  // one unknown part: the whole name is unknown
}

TEST(GlyphNamesTest, PrivateUseCodePointsOfTheAdobeGlyphList) {
  EXPECT_EQ(AdobePrivateUseMeaning(0xF734).text, U'4');        // fouroldstyle
  EXPECT_EQ(AdobePrivateUseMeaning(0xF730).text, U'0');        // zerooldstyle
  EXPECT_EQ(AdobePrivateUseMeaning(0xF773).text, U's');        // Ssmall
  EXPECT_EQ(AdobePrivateUseMeaning(0xF7E9).text, U'\u00E9');   // Eacutesmall
  EXPECT_EQ(AdobePrivateUseMeaning(0xF724).text, U'$');        // dollaroldstyle
  EXPECT_EQ(AdobePrivateUseMeaning(0xF8E9).text, U'\u00A9');   // copyrightsans
  for (char32_t piece : {0xF8E5, 0xF8F1, 0xF8F4, 0xF8FE}) {  // radicalex, braceleftmid, braceex, bracerightbt
    EXPECT_TRUE(AdobePrivateUseMeaning(piece).drawing) << std::hex << static_cast<uint32_t>(piece);
    EXPECT_EQ(AdobePrivateUseMeaning(piece).text, 0u);
  }
  for (char32_t unknown : {0xE002, 0xF643, 0xF7F7, 0xF8FF}) {  // a font's own, and what the list leaves out
    EXPECT_EQ(AdobePrivateUseMeaning(unknown).text, 0u) << std::hex << static_cast<uint32_t>(unknown);
    EXPECT_FALSE(AdobePrivateUseMeaning(unknown).drawing);
  }
}

TEST(GlyphNamesTest, NamesOfPrivateUseCodePointsSayNothing) {
  EXPECT_EQ(UnicodeFromGlyphName("uniF734"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("uE002"), U"");
  EXPECT_EQ(UnicodeFromGlyphName("four.oldstyle"), U"4");
  EXPECT_EQ(UnicodeFromGlyphName("T_h"), U"Th");
}

TEST(GlyphNamesTest, PictureModeFontsByTheirNames) {
  EXPECT_TRUE(IsPictureModeFont("LINE10"));
  EXPECT_TRUE(IsPictureModeFont("QPORNI+LINE10"));
  EXPECT_TRUE(IsPictureModeFont("PVADJZ+LINEW10"));
  EXPECT_TRUE(IsPictureModeFont("lcircle10"));
  EXPECT_TRUE(IsPictureModeFont("GKPZWE+LCIRCLEW10"));
  EXPECT_FALSE(IsPictureModeFont("LINE10X"));
  EXPECT_FALSE(IsPictureModeFont("XLINE10"));
  EXPECT_FALSE(IsPictureModeFont("ABCDE+LINE10"));  // not a subset tag
  EXPECT_FALSE(IsPictureModeFont("QPORNI+LMRoman10-Regular"));
  EXPECT_FALSE(IsPictureModeFont(""));
  EXPECT_FALSE(IsPictureModeFont(nullptr));
}

}  // namespace
}  // namespace docpipe
