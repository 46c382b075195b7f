#include "enrich/enricher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "enrich/local_enricher.h"

namespace docpipe {
namespace {

class EnricherTest : public ::testing::Test {
 protected:
  static Entity MakeEntity(const std::string& type, const std::string& text, const std::string& in) {
    Entity e;
    e.type = type;
    e.text = text;
    e.score = 0.9;
    e.begin_byte = static_cast<int64_t>(in.find(text));
    e.end_byte = e.begin_byte + static_cast<int64_t>(text.size());
    e.begin_offset = e.begin_byte;  // ASCII texts in these tests
    e.end_offset = e.end_byte;
    return e;
  }
};

const char* const kSeeded =
    "Contact Jane at jane.doe@example.com or (650) 253-0000. Card 4111 1111 1111 1111, SSN 123-45-6789, "
    "IBAN GB82 WEST 1234 5698 7654 32. Server 192.168.1.20, MAC 00:1A:2B:3C:4D:5E, "
    "docs at https://internal.example.com/wiki. Key AKIAIOSFODNN7EXAMPLE with "
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Born 1990-07-04.";

TEST_F(EnricherTest, LocalEnricherRedactsAllSeededPii) {
  EnricherPtr enricher = NewLocalEnricher();
  EXPECT_EQ(enricher->Name(), "local-v1");
  EnrichOptions options;
  options.redact_pii = true;
  auto r = enricher->Enrich({{"c1", kSeeded}}, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const ChunkEnrichment& c = (*r)[0];
  EXPECT_EQ(c.chunk_id, "c1");
  const std::vector<std::string> seeded = {"jane.doe@example.com",
                                           "(650) 253-0000",
                                           "4111 1111 1111 1111",
                                           "123-45-6789",
                                           "GB82 WEST 1234 5698 7654 32",
                                           "192.168.1.20",
                                           "00:1A:2B:3C:4D:5E",
                                           "https://internal.example.com/wiki",
                                           "AKIAIOSFODNN7EXAMPLE",
                                           "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                           "1990-07-04"};
  ASSERT_EQ(c.pii_entities.size(), seeded.size());
  for (const std::string& s : seeded) {
    EXPECT_EQ(c.redacted_text.find(s), std::string::npos) << s << " survived: " << c.redacted_text;
  }
  for (const char* tag :
       {"[EMAIL]", "[PHONE]", "[CREDIT_DEBIT_NUMBER]", "[SSN]", "[INTERNATIONAL_BANK_ACCOUNT_NUMBER]",
        "[IP_ADDRESS]", "[MAC_ADDRESS]", "[URL]", "[AWS_ACCESS_KEY]", "[AWS_SECRET_KEY]", "[DATE_TIME]"}) {
    EXPECT_NE(c.redacted_text.find(tag), std::string::npos) << tag;
  }
  EXPECT_EQ(c.redacted_text.rfind("Contact Jane at [EMAIL] or [PHONE]. Card", 0), 0u) << c.redacted_text;
  ASSERT_FALSE(c.languages.empty());
  EXPECT_EQ(c.languages[0].language_code, "en");
}

TEST_F(EnricherTest, RedactionOffByDefaultAndMinScoreFilters) {
  EnricherPtr enricher = NewLocalEnricher();
  const std::string text = "Host 10.0.0.1 charged card 4111 1111 1111 1111 $12.50 on 2024-03-15 for 5 kg.";
  auto r = enricher->Enrich({{"a", text}, {"b", "Nothing here."}}, EnrichOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].chunk_id, "b");
  EXPECT_TRUE((*r)[1].pii_entities.empty());
  EXPECT_TRUE((*r)[0].redacted_text.empty());
  EXPECT_EQ((*r)[0].pii_entities.size(), 3u);  // IP, card, date
  EXPECT_EQ((*r)[0].entities.size(), 3u);      // $12.50, date, 5 kg

  EnrichOptions strict;
  strict.min_score = 0.96;
  auto s = enricher->Enrich({{"a", text}}, strict);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)[0].pii_entities.size(), 1u);
  EXPECT_EQ((*s)[0].pii_entities[0].type, "CREDIT_DEBIT_NUMBER");
  EXPECT_TRUE((*s)[0].entities.empty());
}

TEST_F(EnricherTest, RejectsBadOptionsAndRegion) {
  EnricherPtr enricher = NewLocalEnricher();
  EnrichOptions bad;
  bad.min_score = 1.5;
  EXPECT_EQ(enricher->Enrich({{"a", "x"}}, bad).status().code(), Status::Code::kInvalidInput);
  bad = EnrichOptions{};
  bad.max_key_phrases = -1;
  EXPECT_EQ(enricher->Enrich({{"a", "x"}}, bad).status().code(), Status::Code::kInvalidInput);
  EnricherPtr nowhere = NewLocalEnricher(LocalEnricherOptions{"ZZ"});
  EXPECT_EQ(nowhere->Enrich({{"a", "x"}}, EnrichOptions{}).status().code(), Status::Code::kInvalidInput);
  auto empty = enricher->Enrich({}, EnrichOptions{});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(EnricherTest, RedactPiiLongerOverlapWins) {
  const std::string text = "mail bob@example.com now";
  std::vector<Entity> pii = {MakeEntity("URL", "example.com", text),
                             MakeEntity("EMAIL", "bob@example.com", text)};
  EXPECT_EQ(RedactPii(text, pii), "mail [EMAIL] now");
  EXPECT_EQ(RedactPii(text, {}), text);
}

TEST_F(EnricherTest, RedactPiiFallsBackToCodePointOffsets) {
  // Comprehend gives code point offsets only; the multi-byte prefix makes
  // them differ from byte offsets.
  const std::string text = "Ñandú — call 555-0100 now";
  Entity e;
  e.type = "PHONE";
  e.text = "555-0100";
  e.begin_offset = 13;
  e.end_offset = 21;
  EXPECT_EQ(RedactPii(text, {e}), "Ñandú — call [PHONE] now");
  e.begin_offset = 400;  // out of range: ignored, never a crash
  e.end_offset = 408;
  EXPECT_EQ(RedactPii(text, {e}), text);
}

TEST_F(EnricherTest, JsonRoundTrip) {
  EnricherPtr enricher = NewLocalEnricher();
  EnrichOptions options;
  options.redact_pii = true;
  auto r = enricher->Enrich({{"doc#3", std::string("Über alles: ") + kSeeded + " It costs $5.00, up 12%."}},
                            options);
  ASSERT_TRUE(r.ok());
  const ChunkEnrichment& c = (*r)[0];
  ASSERT_FALSE(c.entities.empty());
  ASSERT_FALSE(c.key_phrases.empty());
  nlohmann::json j = ToJson(c);
  EXPECT_EQ(j["chunk_id"], "doc#3");
  EXPECT_TRUE(j["PiiEntities"][0].contains("BeginOffset"));
  EXPECT_TRUE(j["PiiEntities"][0].contains("BeginByte"));
  EXPECT_TRUE(j["Languages"][0].contains("LanguageCode"));
  EXPECT_TRUE(j["KeyPhrases"][0].contains("Score"));

  Result<ChunkEnrichment> back = ChunkEnrichmentFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), j);
  EXPECT_EQ(back->redacted_text, c.redacted_text);
  ASSERT_EQ(back->pii_entities.size(), c.pii_entities.size());
  EXPECT_EQ(back->pii_entities[3].begin_byte, c.pii_entities[3].begin_byte);
  EXPECT_EQ(back->pii_entities[3].end_offset, c.pii_entities[3].end_offset);
}

TEST_F(EnricherTest, FromJsonNamesTheBadField) {
  nlohmann::json good = {
      {"chunk_id", "c"},
      {"Entities",
       {{{"Type", "DATE"}, {"Text", "2024"}, {"Score", 0.9}, {"BeginOffset", 0}, {"EndOffset", 4}}}}};
  ASSERT_TRUE(ChunkEnrichmentFromJson(good).ok());  // byte offsets are optional (Comprehend has none)

  auto expect_error = [](const nlohmann::json& j, const std::string& field) {
    Result<ChunkEnrichment> r = ChunkEnrichmentFromJson(j);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  };
  nlohmann::json j = good;
  j["Entities"][0]["Score"] = "high";
  expect_error(j, "Entities[0].Score");
  j = good;
  j["Entities"][0].erase("Type");
  expect_error(j, "Entities[0].Type");
  j = good;
  j.erase("chunk_id");
  expect_error(j, "chunk_id");
  j = good;
  j["KeyPhrases"] = "none";
  expect_error(j, "KeyPhrases");
  j = good;
  j["Languages"] = {{{"LanguageCode", 7}, {"Score", 1}}};
  expect_error(j, "Languages[0].LanguageCode");
  expect_error(nlohmann::json::array(), "object");
  j = good;
  j["PiiEntities"] = {
      {{"Type", "EMAIL"}, {"Text", "a@b.co"}, {"Score", 0.9}, {"BeginOffset", 1.5}, {"EndOffset", 4}}};
  expect_error(j, "PiiEntities[0].BeginOffset");
}

}  // namespace
}  // namespace docpipe
