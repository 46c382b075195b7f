#include "extract/text_normalizer.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(TextNormalizerTest, AsciiIsUnchanged) {
  EXPECT_EQ(NormalizeText("plain ASCII text, 42 ^ ~ `"), "plain ASCII text, 42 ^ ~ `");
}

TEST(TextNormalizerTest, LigaturesExpand) {
  EXPECT_EQ(NormalizeText("\xEF\xAC\x81nd the \xEF\xAC\x82ow e\xEF\xAC\x83""cient o\xEF\xAC\x80"), "find the flow efficient off");
}

TEST(TextNormalizerTest, SpacingAccentBeforeLetterJoins) {
  EXPECT_EQ(NormalizeText("formaci\xC2\xB4on"), "formaci\xC3\xB3n");      // formación
  EXPECT_EQ(NormalizeText("Br\xC2\xA8uns"), "Br\xC3\xBCns");              // Brüns
  EXPECT_EQ(NormalizeText("\xCB\x87" "Capek"), "\xC4\x8C" "apek");          // ˇC -> Č
  EXPECT_EQ(NormalizeText("Garc\xC2\xB4\xC4\xB1" "a"), "Garc\xC3\xAD" "a");  // ´ı (dotless) -> í
}

TEST(TextNormalizerTest, AccentThatComposesWithNothingStays) {
  EXPECT_EQ(NormalizeText("don\xC2\xB4t"), "don\xC2\xB4t");  // t has no precomposed acute form
  EXPECT_EQ(NormalizeText("5\xC2\xB4"), "5\xC2\xB4");
}

TEST(TextNormalizerTest, ResultIsNfc) {
  EXPECT_EQ(NormalizeText("Cafe\xCC\x81"), "Caf\xC3\xA9");  // e + U+0301 -> é
}

TEST(TextNormalizerTest, ReplacementCharactersAreRemoved) {
  EXPECT_EQ(NormalizeText("a\xEF\xBF\xBD\xEF\xBF\xBD" "b"), "ab");
  EXPECT_EQ(CountReplacementChars("a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD"), 3);
}

TEST(TextNormalizerTest, BidiControlsAreRemoved) {
  // RLM, LRM and an embedding around "pdf" inside Arabic, as Tesseract writes them.
  EXPECT_EQ(NormalizeText("\xE2\x80\x8F\xD9\x85\xD9\x84\xD9\x81 \xE2\x80\x8E" "pdf\xE2\x80\x8F \xE2\x80\xAB" "x\xE2\x80\xAC"),
            "\xD9\x85\xD9\x84\xD9\x81 pdf x");
}

TEST(TextNormalizerTest, ArabicPresentationFormsBecomeLetters) {
  // "ﻓﻬﺮﺳﺖ" (presentation forms B) -> "فهرست"; lam-alef ligature -> two letters.
  EXPECT_EQ(NormalizeText("\xEF\xBB\x93\xEF\xBB\xAC\xEF\xBA\xAE\xEF\xBA\xB3\xEF\xBA\x96"),
            "\xD9\x81\xD9\x87\xD8\xB1\xD8\xB3\xD8\xAA");
  EXPECT_EQ(NormalizeText("\xEF\xBB\xBB"), "\xD9\x84\xD8\xA7");
}

TEST(TextNormalizerTest, KashidasInsideAWordAreRemoved) {
  // تلاشهــایی -> تلاشهایی, as letters and as presentation forms (ﺗﻼﺷﻬــﺎﯾﯽ).
  EXPECT_EQ(NormalizeText("\xD8\xAA\xD9\x84\xD8\xA7\xD8\xB4\xD9\x87\xD9\x80\xD9\x80\xD8\xA7\xDB\x8C\xDB\x8C"),
            "\xD8\xAA\xD9\x84\xD8\xA7\xD8\xB4\xD9\x87\xD8\xA7\xDB\x8C\xDB\x8C");
  EXPECT_EQ(NormalizeText("\xEF\xBA\x97\xEF\xBB\xBC\xEF\xBA\xB7\xEF\xBB\xAC\xD9\x80\xD9\x80\xEF\xBA\x8E\xEF\xAF\xBE\xEF\xAF\xBD"),
            "\xD8\xAA\xD9\x84\xD8\xA7\xD8\xB4\xD9\x87\xD8\xA7\xDB\x8C\xDB\x8C");
}

TEST(TextNormalizerTest, KashidaShowingALettersFormStays) {
  EXPECT_EQ(NormalizeText("\xD9\x80\xD9\x87"), "\xD9\x80\xD9\x87");                  // ـه: starts the word
  EXPECT_EQ(NormalizeText("\xD8\xA8\xD9\x80 \xD9\x88"), "\xD8\xA8\xD9\x80 \xD9\x88");  // بـ و: ends it
  // دـا: dal does not join the letter after it; بـَت: the kashida carries a fatha.
  EXPECT_EQ(NormalizeText("\xD8\xAF\xD9\x80\xD8\xA7"), "\xD8\xAF\xD9\x80\xD8\xA7");
  EXPECT_EQ(NormalizeText("\xD8\xA8\xD9\x80\xD9\x8E\xD8\xAA"), "\xD8\xA8\xD9\x80\xD9\x8E\xD8\xAA");
}

TEST(TextNormalizerTest, OtherCompatibilityCharactersAreKept) {
  // Full-width forms, superscripts and CJK stay as written (only ligatures and
  // Arabic presentation forms are folded).
  EXPECT_EQ(NormalizeText("x\xC2\xB2 \xEF\xBC\xA1 \xE4\xB8\xAD\xE6\x96\x87"), "x\xC2\xB2 \xEF\xBC\xA1 \xE4\xB8\xAD\xE6\x96\x87");
}

TEST(TextNormalizerTest, ChineseAndJapaneseLinesJoinWithoutSpace) {
  EXPECT_TRUE(JoinsWithoutSpace("\xE4\xBB\xA5\xE5\x85\x84\xE5\xBC\x9F", "\xE5\x85\xB3\xE7\xB3\xBB"));  // 兄弟|关系
  EXPECT_TRUE(JoinsWithoutSpace("\xE3\x81\xAB\xE3\x81\xA4", "\xE3\x81\x84\xE3\x81\xA6"));  // につ|いて
  EXPECT_TRUE(JoinsWithoutSpace("\xE3\x80\x82", "\xE4\xBB\x96"));  // 。|他
  EXPECT_FALSE(JoinsWithoutSpace("\xE5\xBC\x9F", "and"));                  // Han | Latin: a space
  EXPECT_FALSE(JoinsWithoutSpace("word", "\xE5\x85\xB3"));
  EXPECT_FALSE(JoinsWithoutSpace("\xEC\x9D\xB8\xEA\xB0\x84", "\xEC\x9D\x80"));  // Korean keeps spaces
  EXPECT_FALSE(JoinsWithoutSpace("", "\xE5\x85\xB3"));
}

TEST(DecimalDigitValueTest, DigitsOfAnyScript) {
  EXPECT_EQ(DecimalDigitValue(U'7'), 7);
  EXPECT_EQ(DecimalDigitValue(U'\u06F7'), 7);  // Persian
  EXPECT_EQ(DecimalDigitValue(U'\u0667'), 7);  // Arabic-Indic
  EXPECT_EQ(DecimalDigitValue(U'\u096D'), 7);  // Devanagari
  EXPECT_EQ(DecimalDigitValue(U'\u0E51'), 1);  // Thai
  EXPECT_EQ(DecimalDigitValue(U'x'), -1);
  EXPECT_EQ(DecimalDigitValue(U'\u00B2'), -1);  // superscript two: not a decimal digit
  EXPECT_EQ(DecimalDigitValue(U'\u2166'), -1);  // roman numeral seven
}

}  // namespace
}  // namespace docpipe
