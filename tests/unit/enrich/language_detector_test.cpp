#include "enrich/language_detector.h"

#include <gtest/gtest.h>

#include <string>

namespace docpipe {
namespace {

class LanguageDetectorTest : public ::testing::Test {};

TEST_F(LanguageDetectorTest, English) {
  auto langs = DetectLanguages(
      "The committee reviewed the annual budget and agreed to fund two new libraries in the northern "
      "districts, where families have waited years for a place to study and borrow books.");
  ASSERT_FALSE(langs.empty());
  EXPECT_EQ(langs[0].language_code, "en");
  EXPECT_GT(langs[0].score, 0.8);
}

TEST_F(LanguageDetectorTest, Spanish) {
  auto langs = DetectLanguages(
      "El ayuntamiento aprobó ayer el presupuesto anual y decidió construir dos bibliotecas nuevas en "
      "los barrios del norte, donde las familias llevan años esperando un lugar para estudiar.");
  ASSERT_FALSE(langs.empty());
  EXPECT_EQ(langs[0].language_code, "es");
  EXPECT_GT(langs[0].score, 0.8);
}

TEST_F(LanguageDetectorTest, Portuguese) {
  auto langs = DetectLanguages(
      "A câmara municipal aprovou ontem o orçamento anual e decidiu construir duas bibliotecas novas nos "
      "bairros do norte, onde as famílias esperam há anos por um lugar para estudar e ler livros.");
  ASSERT_FALSE(langs.empty());
  EXPECT_EQ(langs[0].language_code, "pt");
  EXPECT_GT(langs[0].score, 0.8);
}

TEST_F(LanguageDetectorTest, MixedTextListsBothBestFirst) {
  auto langs = DetectLanguages(
      "The committee reviewed the annual budget and agreed to fund two new libraries in the northern "
      "districts, where families have waited years for a place to study and borrow books. The plan "
      "also covers longer opening hours and more staff for the existing branches across the city. "
      "El ayuntamiento aprobó ayer el presupuesto anual y decidió construir dos bibliotecas nuevas.");
  ASSERT_GE(langs.size(), 2u);
  EXPECT_EQ(langs[0].language_code, "en");
  EXPECT_EQ(langs[1].language_code, "es");
  EXPECT_GE(langs[0].score, langs[1].score);
}

TEST_F(LanguageDetectorTest, ShortTextStillGuessesWithLowerScore) {
  auto langs = DetectLanguages("The budget was approved");
  ASSERT_FALSE(langs.empty());
  EXPECT_EQ(langs[0].language_code, "en");
  EXPECT_GT(langs[0].score, 0.0);
  EXPECT_LT(langs[0].score, 0.5);
  EXPECT_TRUE(DetectLanguages("").empty());
  // Invalid UTF-8 must not crash CLD2.
  std::string invalid = "The budget was approved by the council ";
  invalid += "\xff\xfe";
  invalid += " after a long debate about libraries and schools.";
  DetectLanguages(invalid);
}

}  // namespace
}  // namespace docpipe
