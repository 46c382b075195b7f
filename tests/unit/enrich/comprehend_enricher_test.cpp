// The Comprehend enricher against a scripted Comprehend (every call, with
// answers written from the API reference) and against a real moto_server for
// the calls moto implements (DetectPiiEntities, DetectKeyPhrases).
#include "enrich/comprehend_enricher.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "chunk/chunker.h"
#include "common/logger.h"
#include "enrich/local_enricher.h"
#include "enrich/text_span.h"
#include "http/curl_http_client.h"
#include "object_store/local_object_store.h"
#include "object_store/object_store.h"
#include "pipeline/object_keys.h"
#include "pipeline/stage_contracts.h"
#include "pipeline/stages.h"
#include "queue/sqlite_work_queue.h"
#include "support/fake_clock.h"
#include "support/moto_fixture.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"
#include "common/utf8.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

using nlohmann::json;

constexpr const char* kTargetPrefix = "Comprehend_20171127.";

// Code points of text[0, byte).
int64_t CodePoints(std::string_view text, size_t byte) {
  int64_t n = 0;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string OperationOf(const HttpRequest& req) {
  const std::string* target = req.FindHeader("X-Amz-Target");
  if (target == nullptr || target->rfind(kTargetPrefix, 0) != 0) return "";
  return target->substr(std::string(kTargetPrefix).size());
}

// A scripted Comprehend. Answers every Detect* and BatchDetect* request from
// needle rules (each occurrence of a needle is reported, offsets in code
// points, in the shapes of the API reference: PII without Text), unless a
// raw answer was queued for that operation. Records what it was sent and
// when (by the clock). Thread-safe.
class FakeComprehend final : public HttpClient {
 public:
  struct Rule {
    std::string needle;
    std::string type;  // unused for key phrases
    double score = 0.99;
  };
  struct Sent {
    std::string op;
    json body;
    TimeMs at = 0;
    HttpRequest request;
  };

  explicit FakeComprehend(Clock& clock) : clock_(clock) {}

  Result<HttpResponse> Send(const HttpRequest& req) override {
    std::lock_guard lock(mu_);
    const std::string op = OperationOf(req);
    json body = json::parse(req.body, nullptr, false);
    sent.push_back({op, body, clock_.NowMs(), req});
    if (auto q = queued.find(op); q != queued.end() && !q->second.empty()) {
      HttpResponse r = q->second.front();
      q->second.pop_front();
      return r;
    }
    if (op.rfind("Batch", 0) == 0) {
      const std::string single = op.substr(5);
      json results = json::array();
      for (size_t i = 0; i < body["TextList"].size(); ++i) {
        results.push_back({{"Index", i},
                           {ListKey(single), Items(single, body["TextList"][i].get<std::string>(),
                                                   body.value("LanguageCode", ""))}});
      }
      return HttpResponse{200, {}, json{{"ResultList", results}, {"ErrorList", json::array()}}.dump()};
    }
    if (ListKey(op).empty()) return HttpResponse{400, {}, R"({"__type":"UnknownOperationException"})"};
    return HttpResponse{
        200,
        {},
        json{{ListKey(op), Items(op, body["Text"].get<std::string>(), body.value("LanguageCode", ""))}}
            .dump()};
  }

  void Queue(const std::string& op, int status, const std::string& body) {
    std::lock_guard lock(mu_);
    queued[op].push_back(HttpResponse{status, {}, body});
  }
  int Count(const std::string& op) {
    std::lock_guard lock(mu_);
    return static_cast<int>(
        std::count_if(sent.begin(), sent.end(), [&](const Sent& s) { return s.op == op; }));
  }
  std::vector<Sent> Of(const std::string& op) {
    std::lock_guard lock(mu_);
    std::vector<Sent> out;
    for (const Sent& s : sent) {
      if (s.op == op) out.push_back(s);
    }
    return out;
  }

  // Default: a text starting "[xx]" is in language xx, anything else English.
  std::function<std::string(const std::string&)> language_of = [](const std::string& text) {
    if (text.size() > 4 && text[0] == '[' && text.find(']') < 7) return text.substr(1, text.find(']') - 1);
    return std::string("en");
  };
  std::vector<Rule> entity_rules = {{"12 March 2024", "DATE", 0.95}};
  std::vector<Rule> phrase_rules = {{"the deadline", "", 0.9}};
  std::vector<Rule> pii_rules = {{"jane@example.com", "EMAIL", 0.99}};
  std::vector<Sent> sent;
  std::map<std::string, std::deque<HttpResponse>> queued;

 private:
  static std::string ListKey(const std::string& op) {
    if (op == "DetectDominantLanguage") return "Languages";
    if (op == "DetectEntities" || op == "DetectPiiEntities") return "Entities";
    if (op == "DetectKeyPhrases") return "KeyPhrases";
    return "";
  }

  json Items(const std::string& op, const std::string& text, const std::string& /*language*/) const {
    json items = json::array();
    if (op == "DetectDominantLanguage") {
      items.push_back({{"LanguageCode", language_of(text)}, {"Score", 0.98}});
      return items;
    }
    const std::vector<Rule>& rules = op == "DetectEntities"     ? entity_rules
                                     : op == "DetectKeyPhrases" ? phrase_rules
                                                                : pii_rules;
    for (const Rule& r : rules) {
      for (size_t at = text.find(r.needle); at != std::string::npos; at = text.find(r.needle, at + 1)) {
        json item = {{"Score", r.score},
                     {"BeginOffset", CodePoints(text, at)},
                     {"EndOffset", CodePoints(text, at + r.needle.size())}};
        if (op != "DetectPiiEntities") item["Text"] = r.needle;  // DetectPiiEntities gives offsets only
        if (op != "DetectKeyPhrases") item["Type"] = r.type;
        items.push_back(std::move(item));
      }
    }
    return items;
  }

  Clock& clock_;
  std::mutex mu_;
};

// Every span lies inside its text and its code point and byte offsets agree.
void ExpectConsistent(const std::string& text, const ChunkEnrichment& c) {
  const int64_t cps = CodePoints(text, text.size());
  for (const auto* list : {&c.entities, &c.pii_entities}) {
    for (const Entity& e : *list) {
      EXPECT_GE(e.begin_offset, 0);
      EXPECT_LT(e.begin_offset, e.end_offset);
      EXPECT_LE(e.end_offset, cps);
      ASSERT_LE(e.end_byte, static_cast<int64_t>(text.size()));
      EXPECT_EQ(text.substr(e.begin_byte, e.end_byte - e.begin_byte), e.text) << e.type;
      EXPECT_EQ(CodePoints(text, e.begin_byte), e.begin_offset) << e.type;
      EXPECT_EQ(CodePoints(text, e.end_byte), e.end_offset) << e.type;
    }
  }
  for (const KeyPhrase& k : c.key_phrases) {
    EXPECT_GE(k.begin_offset, 0);
    EXPECT_LT(k.begin_offset, k.end_offset);
    EXPECT_LE(k.end_offset, cps);
    const size_t b = ByteOfCodePoint(text, k.begin_offset), e = ByteOfCodePoint(text, k.end_offset);
    EXPECT_EQ(text.substr(b, e - b), k.text);
  }
}

class ComprehendEnricherTest : public ::testing::Test {
 protected:
  EnricherPtr Make(ComprehendOptions options = {}) {
    AwsServiceConfig config;
    config.region = "eu-west-1";
    config.signing_name = "comprehend";
    config.endpoint = "http://comprehend.test";
    client_ = std::make_unique<AwsClient>(config, fake_, *creds_, clock_, quota_);
    return NewComprehendEnricher(*client_, clock_, std::move(options));
  }

  static std::vector<EnrichInput> Chunks(int n, const std::string& prefix = "") {
    std::vector<EnrichInput> in;
    for (int i = 0; i < n; ++i) {
      in.push_back({"doc:000001:" + std::to_string(i),
                    prefix + "Chunk " + std::to_string(i) +
                        ": write to jane@example.com before the deadline, 12 March 2024."});
    }
    return in;
  }

  testing::FakeClock clock_;
  FakeComprehend fake_{clock_};
  CredentialsProviderPtr creds_ = NewStaticCredentialsProvider({"AKIDTEST", "secret", "", 0});
  RetryQuota quota_;
  std::unique_ptr<AwsClient> client_;
};

const char* kThrottled = R"({"__type":"ThrottlingException","message":"Rate exceeded"})";

TEST_F(ComprehendEnricherTest, SmallChunksGoInBatchesOfTwentyFive) {
  EnricherPtr enricher = Make();
  EXPECT_EQ(enricher->Name(), "comprehend");
  std::vector<EnrichInput> in = Chunks(60);
  EnrichUsage usage;
  auto r = enricher->Enrich(in, EnrichOptions{}, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 60u);

  for (const char* op : {"BatchDetectDominantLanguage", "BatchDetectEntities", "BatchDetectKeyPhrases"}) {
    std::vector<FakeComprehend::Sent> calls = fake_.Of(op);
    ASSERT_EQ(calls.size(), 3u) << op;
    EXPECT_EQ(calls[0].body["TextList"].size(), 25u);
    EXPECT_EQ(calls[1].body["TextList"].size(), 25u);
    EXPECT_EQ(calls[2].body["TextList"].size(), 10u);
    if (std::string(op) != "BatchDetectDominantLanguage") {
      EXPECT_EQ(calls[0].body["LanguageCode"], "en");
    }
  }
  EXPECT_EQ(fake_.Count("DetectPiiEntities"), 60);  // no batch call exists for PII
  EXPECT_EQ(fake_.Count("DetectEntities"), 0);
  EXPECT_EQ(fake_.sent.size(), 69u);
  EXPECT_EQ(usage.calls, 69);
  EXPECT_EQ(usage.calls_by_operation["BatchDetectEntities"], 3);
  EXPECT_EQ(usage.calls_by_operation["DetectPiiEntities"], 60);
  // 60 texts under 300 characters: 3 units each, for 4 operations.
  EXPECT_NEAR(usage.cost_usd, 60 * 3 * 0.0001 * 4, 1e-12);
  EXPECT_TRUE(usage.skipped.empty());

  const HttpRequest& req = fake_.sent[0].request;
  EXPECT_EQ(*req.FindHeader("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_NE(req.FindHeader("Authorization")->find("/eu-west-1/comprehend/aws4_request"), std::string::npos);

  for (size_t i = 0; i < in.size(); ++i) {
    const ChunkEnrichment& c = (*r)[i];
    EXPECT_EQ(c.chunk_id, in[i].chunk_id);
    ASSERT_EQ(c.languages.size(), 1u);
    EXPECT_EQ(c.languages[0].language_code, "en");
    ASSERT_EQ(c.entities.size(), 1u);
    EXPECT_EQ(c.entities[0].type, "DATE");
    ASSERT_EQ(c.pii_entities.size(), 1u);
    EXPECT_EQ(c.pii_entities[0].text, "jane@example.com");  // Comprehend gives no Text: taken from the span
    ASSERT_EQ(c.key_phrases.size(), 1u);
    EXPECT_TRUE(c.redacted_text.empty());
    ExpectConsistent(in[i].text, c);
  }
}

TEST_F(ComprehendEnricherTest, OneLanguagePerBatchAndUnsupportedLanguagesSkipCalls) {
  EnricherPtr enricher = Make();
  std::vector<EnrichInput> in;
  for (const char* lang : {"es", "fr", "sv"}) {
    for (const EnrichInput& c : Chunks(3, std::string("[") + lang + "] "))
      in.push_back({std::string(lang) + c.chunk_id, c.text});
  }
  EnrichUsage usage;
  auto r = enricher->Enrich(in, EnrichOptions{}, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fake_.Count("BatchDetectDominantLanguage"), 1);  // no LanguageCode: one batch for all
  std::vector<FakeComprehend::Sent> entities = fake_.Of("BatchDetectEntities");
  ASSERT_EQ(entities.size(), 2u);  // es and fr; Swedish is not a Comprehend language
  std::set<std::string> langs;
  for (const auto& s : entities) {
    langs.insert(s.body["LanguageCode"]);
    for (const auto& t : s.body["TextList"])
      EXPECT_EQ(t.get<std::string>().substr(1, 2), s.body["LanguageCode"]);
  }
  EXPECT_EQ(langs, (std::set<std::string>{"es", "fr"}));
  // PII: Spanish only (DetectPiiEntities takes en and es).
  std::vector<FakeComprehend::Sent> pii = fake_.Of("DetectPiiEntities");
  ASSERT_EQ(pii.size(), 3u);
  for (const auto& s : pii) EXPECT_EQ(s.body["LanguageCode"], "es");
  EXPECT_EQ(usage.skipped["DetectPiiEntities: unsupported language fr"], 3);
  EXPECT_EQ(usage.skipped["DetectPiiEntities: unsupported language sv"], 3);
  EXPECT_EQ(usage.skipped["DetectEntities: unsupported language sv"], 3);
  EXPECT_EQ(usage.skipped["DetectKeyPhrases: unsupported language sv"], 3);
  const ChunkEnrichment& fr = (*r)[3];
  EXPECT_EQ(fr.languages.at(0).language_code, "fr");
  EXPECT_EQ(fr.entities.size(), 1u);
  EXPECT_TRUE(fr.pii_entities.empty());
  const ChunkEnrichment& sv = (*r)[6];
  EXPECT_EQ(sv.languages.at(0).language_code, "sv");
  EXPECT_TRUE(sv.entities.empty() && sv.key_phrases.empty() && sv.pii_entities.empty());
}

TEST_F(ComprehendEnricherTest, TextsOverFiveKilobytesGoSingle) {
  EnricherPtr enricher = Make();
  std::vector<EnrichInput> in = Chunks(3);
  std::string big;
  while (big.size() < 6'000) big += "Write to jane@example.com before the deadline. ";
  in.insert(in.begin() + 1, {"big", big});
  auto r = enricher->Enrich(in, EnrichOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const char* op : {"DetectDominantLanguage", "DetectEntities", "DetectKeyPhrases"}) {
    std::vector<FakeComprehend::Sent> singles = fake_.Of(op);
    ASSERT_EQ(singles.size(), 1u) << op;
    EXPECT_EQ(singles[0].body["Text"], big);
    std::vector<FakeComprehend::Sent> batches = fake_.Of(std::string("Batch") + op);
    ASSERT_EQ(batches.size(), 1u);
    EXPECT_EQ(batches[0].body["TextList"].size(), 3u);
    for (const auto& t : batches[0].body["TextList"]) EXPECT_LT(t.get<std::string>().size(), 5'000u);
  }
  const ChunkEnrichment& c = (*r)[1];
  EXPECT_EQ(c.chunk_id, "big");
  EXPECT_GT(c.pii_entities.size(), 100u);
  ExpectConsistent(big, c);
}

TEST_F(ComprehendEnricherTest, BatchesCanBeTurnedOffAndABatchOfOneIsASingleCall) {
  EnricherPtr enricher = Make({.use_batch = false});
  ASSERT_TRUE(enricher->Enrich(Chunks(3), EnrichOptions{}).ok());
  EXPECT_EQ(fake_.Count("DetectEntities"), 3);
  EXPECT_EQ(fake_.Count("BatchDetectEntities"), 0);
  fake_.sent.clear();
  EnricherPtr batching = Make();
  ASSERT_TRUE(batching->Enrich(Chunks(1), EnrichOptions{}).ok());
  EXPECT_EQ(fake_.Count("DetectEntities"), 1);
  EXPECT_EQ(fake_.Count("BatchDetectEntities"), 0);
}

// A text of ~250 KB with multibyte characters throughout: it goes in pieces
// of at most 100,000 bytes cut after sentences, and a PII entity found in the
// second piece lands on the right code points and bytes of the whole text.
TEST_F(ComprehendEnricherTest, LongTextsAreSplitAtSentencesAndOffsetsMapBack) {
  EnricherPtr enricher = Make();
  const std::string sentence =
      "Grüße aus Köln – das Wetter kostet 5 € pro Tag, sagt Zoë. ";  // multibyte: ü ß ö – € ë
  std::string text;
  while (text.size() < 130'000) text += sentence;
  const size_t email_byte = text.size();
  text += "Schreiben Sie an jane@example.com bis 12 March 2024. ";
  while (text.size() < 250'000) text += sentence;

  EnrichOptions options;
  options.redact_pii = true;
  EnrichUsage usage;
  auto r = enricher->Enrich({{"long", text}}, options, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  std::vector<FakeComprehend::Sent> pii = fake_.Of("DetectPiiEntities");
  ASSERT_EQ(pii.size(), 3u);
  std::string joined;
  for (size_t i = 0; i < pii.size(); ++i) {
    const std::string piece = pii[i].body["Text"];
    EXPECT_LE(piece.size(), 100'000u);
    EXPECT_TRUE(IsValidUtf8(piece));
    if (i + 1 < pii.size()) {
      EXPECT_EQ(piece.substr(piece.size() - 2), ". ") << "piece " << i << " does not end after a sentence";
      EXPECT_GT(piece.size(), 50'000u);
    }
    joined += piece;
  }
  EXPECT_EQ(joined, text);
  const std::string first = pii[0].body["Text"];
  ASSERT_LT(first.size(), email_byte);  // the e-mail is in the second piece
  // Every operation sees the same pieces.
  EXPECT_EQ(fake_.Count("DetectDominantLanguage"), 3);
  EXPECT_EQ(fake_.Count("DetectEntities"), 3);
  EXPECT_EQ(fake_.Count("DetectKeyPhrases"), 3);

  const ChunkEnrichment& c = (*r)[0];
  ASSERT_EQ(c.pii_entities.size(), 1u);
  const Entity& e = c.pii_entities[0];
  const size_t at = email_byte + std::string("Schreiben Sie an ").size();
  EXPECT_EQ(e.text, "jane@example.com");
  EXPECT_EQ(e.begin_byte, static_cast<int64_t>(at));
  EXPECT_EQ(e.end_byte, static_cast<int64_t>(at + 16));
  EXPECT_EQ(e.begin_offset, CodePoints(text, at));
  EXPECT_EQ(e.end_offset, CodePoints(text, at) + 16);
  EXPECT_LT(e.begin_offset, e.begin_byte);  // multibyte characters before it
  ASSERT_EQ(c.entities.size(), 1u);
  EXPECT_EQ(c.entities[0].text, "12 March 2024");
  ExpectConsistent(text, c);
  EXPECT_EQ(c.languages.at(0).language_code, "en");
  EXPECT_NEAR(c.languages[0].score, 0.98, 1e-9);
  EXPECT_NE(c.redacted_text.find("an [EMAIL] bis"), std::string::npos);
  EXPECT_EQ(c.redacted_text.find("jane@"), std::string::npos);
  // Units of 100 characters per piece, 4 operations.
  double units = 0;
  for (const auto& s : pii)
    units += std::ceil(CodePoints(s.body["Text"].get<std::string>(), SIZE_MAX) / 100.0);
  EXPECT_NEAR(usage.cost_usd, units * 0.0001 * 4, 1e-9);
}

TEST_F(ComprehendEnricherTest, LongTextsWithoutSentencesSplitAtSpacesElseOnCharacters) {
  EnricherPtr enricher = Make();
  std::string words;
  while (words.size() < 150'000) words += "wörter ohne punkt ";
  std::string solid;
  while (solid.size() < 150'000) solid += "é€";  // no whitespace at all: 2- and 3-byte characters
  auto r = enricher->Enrich({{"words", words}, {"solid", solid}}, EnrichOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<FakeComprehend::Sent> lang = fake_.Of("DetectDominantLanguage");
  ASSERT_EQ(lang.size(), 4u);
  const std::string w0 = lang[0].body["Text"], w1 = lang[1].body["Text"];
  EXPECT_EQ(w0.back(), ' ');
  EXPECT_GT(w0.size(), 99'000u);
  EXPECT_EQ(w0 + w1, words);
  const std::string s0 = lang[2].body["Text"], s1 = lang[3].body["Text"];
  EXPECT_LE(s0.size(), 100'000u);
  EXPECT_GE(s0.size(), 99'997u);
  EXPECT_TRUE(IsValidUtf8(s0));
  EXPECT_TRUE(IsValidUtf8(s1));
  EXPECT_EQ(s0 + s1, solid);
}

TEST_F(ComprehendEnricherTest, MinScoreFiltersEntitiesAndPiiNotKeyPhrases) {
  fake_.pii_rules.push_back({"Jane", "NAME", 0.6});
  fake_.entity_rules.push_back({"ACME", "ORGANIZATION", 0.5});
  fake_.phrase_rules.push_back({"ACME", "", 0.3});
  EnricherPtr enricher = Make();
  std::vector<EnrichInput> in = {
      {"c", "Jane of ACME: write to jane@example.com before the deadline, 12 March 2024."}};
  auto strict = enricher->Enrich(in, EnrichOptions{});
  ASSERT_TRUE(strict.ok());
  const ChunkEnrichment& s = (*strict)[0];
  ASSERT_EQ(s.pii_entities.size(), 1u);
  EXPECT_EQ(s.pii_entities[0].type, "EMAIL");
  ASSERT_EQ(s.entities.size(), 1u);
  EXPECT_EQ(s.entities[0].type, "DATE");
  ASSERT_EQ(s.key_phrases.size(), 2u);               // key phrases are not filtered by score
  EXPECT_EQ(s.key_phrases[0].text, "the deadline");  // best first
  EXPECT_EQ(s.key_phrases[1].text, "ACME");

  EnrichOptions lenient;
  lenient.min_score = 0.5;
  auto all = enricher->Enrich(in, lenient);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ((*all)[0].pii_entities.size(), 2u);
  EXPECT_EQ((*all)[0].pii_entities[0].type, "NAME");  // text order
  EXPECT_EQ((*all)[0].entities.size(), 2u);

  EnrichOptions bad;
  bad.min_score = 1.5;
  EXPECT_EQ(enricher->Enrich(in, bad).status().code(), Status::Code::kInvalidInput);
}

TEST_F(ComprehendEnricherTest, KeyPhrasesAreDistinctBestFirstAndCapped) {
  fake_.phrase_rules = {{"alpha", "", 0.5}, {"Alpha", "", 0.8}, {"beta", "", 0.9}, {"gamma", "", 0.7}};
  EnricherPtr enricher = Make();
  EnrichOptions options;
  options.max_key_phrases = 2;
  auto r = enricher->Enrich({{"c", "alpha beta Alpha gamma alpha"}}, options);
  ASSERT_TRUE(r.ok());
  const auto& kp = (*r)[0].key_phrases;
  ASSERT_EQ(kp.size(), 2u);
  EXPECT_EQ(kp[0].text, "beta");
  EXPECT_EQ(kp[1].text, "Alpha");  // the best-scored of the case variants
  EXPECT_EQ(kp[1].begin_offset, 11);

  fake_.sent.clear();
  options.max_key_phrases = 0;  // nothing wanted: nothing asked
  EnrichUsage usage;
  ASSERT_TRUE(enricher->Enrich({{"c", "alpha"}}, options, &usage).ok());
  EXPECT_EQ(fake_.Count("DetectKeyPhrases"), 0);
  EXPECT_EQ(usage.skipped["DetectKeyPhrases: max_key_phrases is 0"], 1);
}

TEST_F(ComprehendEnricherTest, RedactionReplacesPiiOnly) {
  EnricherPtr enricher = Make();
  const std::string text = "Grüße, Zoë: jane@example.com – 12 March 2024.";
  EnrichOptions options;
  options.redact_pii = true;
  auto r = enricher->Enrich({{"c", text}}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].redacted_text, "Grüße, Zoë: [EMAIL] – 12 March 2024.");
  ExpectConsistent(text, (*r)[0]);
}

// moto answers with canned offsets whatever the text; the real service may
// too for texts it normalises. Spans are clamped to the text; what is left
// empty, or whose Text is not what the span holds, is dropped.
TEST_F(ComprehendEnricherTest, OffsetsBeyondTheTextAreClampedOrDropped) {
  const std::string text = "Ünïcode name: Jane Roe, mail jane@ex";  // 36 code points
  fake_.Queue(
      "DetectPiiEntities", 200,
      json{{"Entities",
            json::array({
                {{"Type", "NAME"}, {"Score", 0.99}, {"BeginOffset", 14}, {"EndOffset", 22}},
                {{"Type", "EMAIL"}, {"Score", 0.99}, {"BeginOffset", 29}, {"EndOffset", 59}},  // runs past
                                                                                               // the end
                {{"Type", "BANK_ACCOUNT_NUMBER"},
                 {"Score", 0.99},
                 {"BeginOffset", 334},
                 {"EndOffset", 349}},  // all past
            })}}
          .dump());
  fake_.Queue("DetectEntities", 200,
              json{{"Entities", json::array({
                                    {{"Type", "PERSON"},
                                     {"Text", "Jane Roe"},
                                     {"Score", 0.99},
                                     {"BeginOffset", 14},
                                     {"EndOffset", 22}},
                                    {{"Type", "PERSON"},
                                     {"Text", "John Doe"},
                                     {"Score", 0.99},
                                     {"BeginOffset", 14},
                                     {"EndOffset", 22}},  // wrong text
                                    {{"Type", "OTHER"},
                                     {"Text", "jane@ex.com"},
                                     {"Score", 0.99},
                                     {"BeginOffset", 29},
                                     {"EndOffset", 40}},  // clamped: no match
                                })}}
                  .dump());
  EnricherPtr enricher = Make();
  auto r = enricher->Enrich({{"c", text}}, EnrichOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ChunkEnrichment& c = (*r)[0];
  ASSERT_EQ(c.pii_entities.size(), 2u);
  EXPECT_EQ(c.pii_entities[0].text, "Jane Roe");
  EXPECT_EQ(c.pii_entities[1].text, "jane@ex");  // clamped, kept: PII errs on the side of redaction
  EXPECT_EQ(c.pii_entities[1].end_offset, 36);
  ASSERT_EQ(c.entities.size(), 1u);
  EXPECT_EQ(c.entities[0].text, "Jane Roe");
  ExpectConsistent(text, c);
}

TEST_F(ComprehendEnricherTest, ThrottlingIsRetriedByTheClient) {
  fake_.Queue("DetectPiiEntities", 400, kThrottled);
  fake_.Queue("DetectPiiEntities", 400, kThrottled);
  EnricherPtr enricher = Make();
  EnrichUsage usage;
  auto r = enricher->Enrich(Chunks(1), EnrichOptions{}, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(fake_.Count("DetectPiiEntities"), 3);
  EXPECT_EQ(usage.calls_by_operation["DetectPiiEntities"], 1);  // one call; its retries are the client's
  EXPECT_EQ((*r)[0].pii_entities.size(), 1u);

  for (int i = 0; i < 3; ++i) fake_.Queue("DetectEntities", 400, kThrottled);
  auto failed = enricher->Enrich(Chunks(1), EnrichOptions{});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Status::Code::kThrottled);
  EXPECT_NE(failed.status().message().find("chunk doc:000001:0"), std::string::npos)
      << failed.status().ToString();
}

TEST_F(ComprehendEnricherTest, RejectedTextsAreInvalidInputNamingTheChunk) {
  EnricherPtr enricher = Make();
  fake_.Queue("DetectPiiEntities", 400,
              R"({"__type":"TextSizeLimitExceededException","message":"Input text size exceeds limit."})");
  auto r = enricher->Enrich(Chunks(2), EnrichOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("chunk doc:000001:0"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("TextSizeLimitExceededException"), std::string::npos);

  // A rejected batch is asked again one text at a time, which finds the culprit.
  fake_.sent.clear();
  fake_.Queue("BatchDetectEntities", 400, R"({"__type":"InvalidRequestException","message":"bad document"})");
  fake_.Queue("DetectEntities", 200, R"({"Entities":[]})");
  fake_.Queue("DetectEntities", 400, R"({"__type":"InvalidRequestException","message":"bad document"})");
  r = enricher->Enrich(Chunks(3), EnrichOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("chunk doc:000001:1"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(fake_.Count("DetectEntities"), 2);

  std::string bad = "ok \xff\xfe";
  EXPECT_EQ(enricher->Enrich({{"bin", bad}}, EnrichOptions{}).status().code(), Status::Code::kInvalidInput);
}

TEST_F(ComprehendEnricherTest, UnsupportedLanguageAnswersSkipTheCall) {
  fake_.Queue("DetectPiiEntities", 400,
              R"({"__type":"UnsupportedLanguageException","message":"Unsupported language"})");
  // A batch item may fail alone: unsupported language is skipped, anything
  // else is asked again on its own.
  fake_.Queue(
      "BatchDetectKeyPhrases", 200,
      json{{"ResultList", json::array({{{"Index", 1}, {"KeyPhrases", json::array()}}})},
           {"ErrorList",
            json::array({{{"Index", 0}, {"ErrorCode", "UNSUPPORTED_LANGUAGE"}, {"ErrorMessage", "no"}},
                         {{"Index", 2}, {"ErrorCode", "INTERNAL_SERVER_ERROR"}, {"ErrorMessage", "oops"}}})}}
          .dump());
  EnricherPtr enricher = Make();
  EnrichUsage usage;
  auto r = enricher->Enrich(Chunks(3), EnrichOptions{}, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[0].pii_entities.empty());
  EXPECT_EQ((*r)[1].pii_entities.size(), 1u);
  EXPECT_EQ(usage.skipped["DetectPiiEntities: service rejected language en"], 1);
  EXPECT_EQ(usage.skipped["DetectKeyPhrases: service rejected language en"], 1);
  std::vector<FakeComprehend::Sent> retried = fake_.Of("DetectKeyPhrases");
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].body["Text"], Chunks(3)[2].text);
  EXPECT_TRUE((*r)[0].key_phrases.empty());
  EXPECT_EQ((*r)[2].key_phrases.size(), 1u);
}

TEST_F(ComprehendEnricherTest, EmptyTextsCostNothing) {
  EnricherPtr enricher = Make();
  EnrichUsage usage;
  auto r = enricher->Enrich({{"blank", " \n\t "}, {"none", ""}}, EnrichOptions{}, &usage);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].chunk_id, "blank");
  EXPECT_TRUE((*r)[0].languages.empty());
  EXPECT_TRUE(fake_.sent.empty());
  EXPECT_EQ(usage.calls, 0);
  EXPECT_EQ(usage.skipped["all calls: empty text"], 2);
  auto none = enricher->Enrich({}, EnrichOptions{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(ComprehendEnricherTest, RateLimiterSpacesRequestsOnTheClock) {
  EnricherPtr enricher = Make({.max_requests_per_second = 4, .use_batch = false});
  const TimeMs t0 = clock_.NowMs();
  ASSERT_TRUE(enricher->Enrich(Chunks(3), EnrichOptions{}).ok());
  ASSERT_EQ(fake_.sent.size(), 12u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(fake_.sent[i].at, t0) << i;  // one second's burst
  for (size_t i = 4; i < 12; ++i) EXPECT_EQ(fake_.sent[i].at - fake_.sent[i - 1].at, 250) << i;
  EXPECT_EQ(clock_.slept_ms(), 8 * 250);

  // Tokens come back with time.
  clock_.Advance(10'000);
  fake_.sent.clear();
  const TimeMs t1 = clock_.NowMs();
  ASSERT_TRUE(enricher->Enrich(Chunks(1), EnrichOptions{}).ok());
  for (const auto& s : fake_.sent) EXPECT_EQ(s.at, t1);
}

// Real time, several threads on one enricher: the bucket is shared and never
// lets more than one second's burst plus the rate through in any second.
TEST(ComprehendRateLimitTest, ThreadsShareOneBucket) {
  std::unique_ptr<Clock> clock = NewSystemClock();
  FakeComprehend fake(*clock);
  CredentialsProviderPtr creds = NewStaticCredentialsProvider({"AKIDTEST", "secret", "", 0});
  RetryQuota quota;
  AwsClient client({"us-east-1", "comprehend", "http://comprehend.test"}, fake, *creds, *clock, quota);
  EnricherPtr enricher =
      NewComprehendEnricher(client, *clock, {.max_requests_per_second = 20, .use_batch = false});
  const TimeMs start = clock->NowMs();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<EnrichInput> in = {{"t" + std::to_string(t) + "a", "Write to jane@example.com."},
                                     {"t" + std::to_string(t) + "b", "Before the deadline."}};
      EXPECT_TRUE(enricher->Enrich(in, EnrichOptions{}).ok());
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(fake.sent.size(), 32u);
  // 20 at once, then 12 more at 50 ms each.
  EXPECT_GE(clock->NowMs() - start, 12 * 50 - 20);
  std::vector<TimeMs> at;
  for (const auto& s : fake.sent) at.push_back(s.at);
  std::sort(at.begin(), at.end());
  for (size_t i = 0; i < at.size(); ++i) {
    size_t in_window = std::upper_bound(at.begin(), at.end(), at[i] + 999) - (at.begin() + i);
    EXPECT_LE(in_window, 40u);
  }
}

// The stage records the calls and the estimated cost: in its metrics, in
// enriched/, and as the stage's cost (summed per document and per day).
TEST_F(ComprehendEnricherTest, EnrichStageRecordsCallsAndCost) {
  testing::TempDir dir;
  ObjectStorePtr store = *NewLocalObjectStore(dir.Join("store"));
  ControlRecord rec;
  rec.document_id = "doc";
  rec.processing_version = "000001";
  rec.source_key = "input/doc.md";
  ChunkSet chunks;
  chunks.document_id = rec.document_id;
  chunks.processing_version = rec.processing_version;
  chunks.source_key = rec.source_key;
  chunks.tokenizer = "cl100k_base";
  for (const EnrichInput& c : Chunks(30)) {
    Chunk chunk;
    chunk.chunk_id = c.chunk_id;
    chunk.text = c.text;
    chunk.type = "text";
    chunks.chunks.push_back(std::move(chunk));
  }
  StageArtifacts artifacts(*store);
  ASSERT_TRUE(artifacts.Write(chunks).ok());
  const std::string stage2_output = *store->Get(ChunksKey("doc"));

  EnrichOptions options;
  options.redact_pii = true;
  StagePtr stage = NewEnrichStage(*store, Make(), options);
  auto r = stage->Run(StageContext{rec});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["comprehend_calls"], 2 + 2 + 2 + 30);
  EXPECT_NEAR(r->metrics["cost_usd"].get<double>(), 30 * 3 * 0.0001 * 4, 1e-12);
  EXPECT_NEAR(r->cost_usd, 30 * 3 * 0.0001 * 4, 1e-12);
  EXPECT_EQ(r->metrics["calls_by_operation"]["BatchDetectEntities"], 2);
  EXPECT_EQ(r->metrics["enricher"], "comprehend");
  EXPECT_EQ(r->metrics["pii_entities"], 30);
  json enriched = json::parse(*store->Get(r->output_key));
  EXPECT_EQ(enriched["comprehend_calls"], 36);
  for (const auto& c : enriched["chunks"]) {
    ASSERT_EQ(c["PiiEntities"].size(), 1u);
    EXPECT_FALSE(c["PiiEntities"][0].contains("Text"));  // PII by type and offsets only
  }
  // The redacted texts are an output of their own; stage 2's stays as it was.
  EXPECT_EQ(*store->Get(ChunksKey("doc")), stage2_output);
  json redacted = json::parse(*store->Get(RedactedKey("doc")));
  ASSERT_EQ(redacted["chunks"].size(), 30u);
  EXPECT_EQ(redacted["chunks"][0]["text"].get<std::string>().find("jane@"), std::string::npos);
  Result<ChunksToIndex> to_index = artifacts.ReadChunksToIndex(rec);
  ASSERT_TRUE(to_index.ok()) << to_index.status().ToString();
  EXPECT_EQ(to_index->chunks.chunks[0].text, redacted["chunks"][0]["text"]);

  // The local enricher: no calls, no cost.
  StagePtr local = NewEnrichStage(*store, NewLocalEnricher(), options);
  auto l = local->Run(StageContext{rec});
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->metrics["comprehend_calls"], 0);
  EXPECT_EQ(l->metrics["cost_usd"], 0.0);
  EXPECT_EQ(l->cost_usd, 0.0);
  EXPECT_FALSE(l->metrics.contains("skipped"));
}

TEST(ComprehendPricesTest, TableCoversEveryOperationCalled) {
  std::map<std::string, double> prices = DefaultComprehendPrices();
  for (const char* op :
       {"DetectDominantLanguage", "DetectEntities", "DetectKeyPhrases", "DetectPiiEntities"}) {
    ASSERT_TRUE(prices.count(op)) << op;
    EXPECT_DOUBLE_EQ(prices[op], 0.0001);
  }
}

// ---------------------------------------------------------------------------
// Against moto_server. moto 5.2.1 implements DetectPiiEntities and
// DetectKeyPhrases (canned answers: offsets 50-58, 230-259 and 334-349
// whatever the text, key phrases without Text; PII for "en" only) and
// DetectSentiment; DetectDominantLanguage, DetectEntities and every Batch*
// call answer HTTP 500 "not implemented". Those go to the scripted fake.

// Sends the calls moto implements to moto, the rest to the fake; records
// moto's answers.
class MotoOrFake final : public HttpClient {
 public:
  MotoOrFake(HttpClient& moto, HttpClient& fake) : moto_(moto), fake_(fake) {}
  Result<HttpResponse> Send(const HttpRequest& req) override {
    const std::string op = OperationOf(req);
    if (op != "DetectPiiEntities" && op != "DetectKeyPhrases") return fake_.Send(req);
    Result<HttpResponse> r = moto_.Send(req);
    std::lock_guard lock(mu_);
    answered.push_back({op, json::parse(req.body, nullptr, false), r.ok() ? r->status : -1,
                        r.ok() ? json::parse(r->body, nullptr, false) : json()});
    return r;
  }
  struct Answer {
    std::string op;
    json request;
    int status = 0;
    json body;
  };
  std::vector<Answer> answered;

 private:
  HttpClient& moto_;
  HttpClient& fake_;
  std::mutex mu_;
};

class ComprehendEnricherMotoTest : public ::testing::Test {
 protected:
  // Single calls, so that key phrases reach moto too (it has no batch
  // calls); no rate limit, a local server needs none.
  static inline const ComprehendOptions kMotoOptions{.max_requests_per_second = 0, .use_batch = false};

  void SetUp() override {
    std::string start_error;
    moto_ = testing::SharedMotoServer(&start_error);
    // No moto, no test: these tests fail rather than skip.
    ASSERT_NE(moto_, nullptr) << testing::MotoStartFailure(start_error);
    AwsServiceConfig config{"us-east-1", "comprehend", moto_->endpoint()};
    client_ = std::make_unique<AwsClient>(config, routing_, *creds_, *clock_, quota_);
  }

  // Chunks of a real document through the project's chunker, one crafted
  // 240-code-point chunk (between moto's canned offsets) and one of 120 KB.
  static std::vector<EnrichInput> RealChunks() {
    std::string md = "# Operations handbook\n\n";
    for (int s = 1; s <= 6; ++s) {
      md += "## Section " + std::to_string(s) + "\n\n";
      for (int p = 0; p < 4; ++p) {
        md +=
            "The on-call engineer for the Zürich site checks the backup report every morning and writes to "
            "ops-" +
            std::to_string(s) +
            "@example.com when a job fails. Escalations go to Jane Roe at "
            "+1 650 253 0000 before 12 March 2024. Storage costs 5 € per terabyte and month.\n\n";
      }
    }
    ExtractedPage page;
    page.number = 1;
    page.markdown = md;
    ChunkOptions o;
    o.min_tokens = 32;
    o.target_tokens = 128;
    o.max_tokens = 256;
    Result<TokenizerPtr> tok = NewBpeTokenizer("cl100k_base");
    EXPECT_TRUE(tok.ok()) << tok.status().ToString();
    if (!tok.ok()) return {};
    Result<std::vector<Chunk>> chunks = ChunkDocument("handbook", "000001", {page}, **tok, o);
    std::vector<EnrichInput> in;
    if (!chunks.ok()) return in;
    for (const Chunk& c : *chunks) in.push_back({c.chunk_id, c.text});
    std::string crafted = "Ünïcödé ";
    while (CodePoints(crafted, crafted.size()) < 240) crafted += "wörd ";
    crafted.resize(ByteOfCodePoint(crafted, 240));
    in.push_back({"crafted", crafted});
    std::string big;
    while (big.size() < 120'000)
      big += "Die Sicherung läuft jede Nacht um zwei Uhr und meldet Fehler per E-Mail. ";
    in.push_back({"big", big});
    return in;
  }

  testing::MotoServer* moto_ = nullptr;
  std::unique_ptr<Clock> clock_ = NewSystemClock();
  HttpClientPtr curl_ = NewCurlHttpClient();
  FakeComprehend fake_{*clock_};
  MotoOrFake routing_{*curl_, fake_};
  CredentialsProviderPtr creds_ = NewStaticCredentialsProvider({"AKIDTESTMOTO", "motosecret", "", 0});
  RetryQuota quota_;
  std::unique_ptr<AwsClient> client_;
};

TEST_F(ComprehendEnricherMotoTest, RealChunksAreAcceptedAndSpansStayInBounds) {
  std::vector<EnrichInput> in = RealChunks();
  ASSERT_GE(in.size(), 5u);
  EnricherPtr enricher = NewComprehendEnricher(*client_, *clock_, kMotoOptions);
  EnrichOptions options;
  options.redact_pii = true;
  EnrichUsage usage;
  auto r = enricher->Enrich(in, options, &usage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), in.size());

  // Every request moto saw was accepted: 2 per chunk, 2 more for the 120 KB
  // chunk's second piece.
  EXPECT_EQ(routing_.answered.size(), 2 * in.size() + 2);
  for (const auto& a : routing_.answered) {
    EXPECT_EQ(a.status, 200) << a.op << ": " << a.body.dump();
    EXPECT_EQ(a.request["LanguageCode"], "en");
    EXPECT_LE(a.request["Text"].get<std::string>().size(), 100'000u);
  }

  const std::vector<std::tuple<std::string, int64_t, int64_t>> canned = {
      {"NAME", 50, 58}, {"EMAIL", 230, 259}, {"BANK_ACCOUNT_NUMBER", 334, 349}};
  for (size_t i = 0; i < in.size(); ++i) {
    const ChunkEnrichment& c = (*r)[i];
    SCOPED_TRACE(in[i].chunk_id);
    EXPECT_EQ(c.chunk_id, in[i].chunk_id);
    ExpectConsistent(in[i].text, c);
    const int64_t cps = CodePoints(in[i].text, in[i].text.size());
    size_t expected = 0;
    for (const auto& [type, b, e] : canned) expected += b < cps ? 1 : 0;
    if (in[i].chunk_id == "big") continue;  // checked below
    ASSERT_EQ(c.pii_entities.size(), expected) << cps << " code points";
    for (size_t k = 0; k < expected; ++k) {
      EXPECT_EQ(c.pii_entities[k].type, std::get<0>(canned[k]));
      EXPECT_EQ(c.pii_entities[k].begin_offset, std::get<1>(canned[k]));
      EXPECT_EQ(c.pii_entities[k].end_offset, std::min(cps, std::get<2>(canned[k])));
    }
    EXPECT_FALSE(c.redacted_text.empty());
  }
  // The crafted chunk ends inside moto's e-mail span: clamped to its end.
  const ChunkEnrichment& crafted = (*r)[in.size() - 2];
  ASSERT_EQ(crafted.pii_entities.size(), 2u);
  EXPECT_EQ(crafted.pii_entities[1].end_offset, 240);
  EXPECT_NE(crafted.pii_entities[1].begin_byte, 230);  // multibyte characters before it
  EXPECT_EQ(crafted.key_phrases.size(), 2u);           // moto's key phrases have no Text: the span gives it

  // The 120 KB chunk went in two pieces; the canned spans of the second map
  // behind the first piece's code points.
  const ChunkEnrichment& big = r->back();
  std::vector<std::string> pieces;
  for (const auto& a : routing_.answered) {
    if (a.op == "DetectPiiEntities" && a.request["Text"].get<std::string>().size() > 5'000)
      pieces.push_back(a.request["Text"]);
  }
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0] + pieces[1], in.back().text);
  const int64_t offset = CodePoints(pieces[0], pieces[0].size());
  ASSERT_EQ(big.pii_entities.size(), 6u);
  EXPECT_EQ(big.pii_entities[3].begin_offset, offset + 50);
  EXPECT_EQ(big.pii_entities[3].begin_byte,
            static_cast<int64_t>(pieces[0].size() + ByteOfCodePoint(pieces[1], 50)));

  EXPECT_EQ(usage.calls_by_operation["DetectPiiEntities"], static_cast<int64_t>(in.size() + 1));
  EXPECT_GT(usage.cost_usd, 0);
}

// boto3, an independent client, gets from moto what our requests got.
TEST_F(ComprehendEnricherMotoTest, Boto3SeesTheSameAnswers) {
  EnricherPtr enricher = NewComprehendEnricher(*client_, *clock_, kMotoOptions);
  const std::string text = RealChunks().front().text;
  ASSERT_TRUE(enricher->Enrich({{"c", text}}, EnrichOptions{}).ok());
  ASSERT_EQ(routing_.answered.size(), 2u);
  testing::TempDir dir;
  testing::WriteFile(dir.Join("text"), text);
  testing::ProcessResult p = testing::RunBoto3(*moto_, R"(
import boto3, json
c = boto3.client('comprehend')
text = open(')" + dir.Join("text") + R"(', encoding='utf-8').read()
print(json.dumps({'pii': c.detect_pii_entities(Text=text, LanguageCode='en')['Entities'],
                  'kp': c.detect_key_phrases(Text=text, LanguageCode='en')['KeyPhrases']}))
)");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  json got = json::parse(p.out);
  for (const auto& a : routing_.answered) {
    EXPECT_EQ(a.body[a.op == "DetectPiiEntities" ? "Entities" : "KeyPhrases"],
              got[a.op == "DetectPiiEntities" ? "pii" : "kp"]);
  }
}

// moto's DetectPiiEntities takes "en" only (the service also takes "es"):
// its ValidationException is a rejected request, InvalidInput naming the chunk.
TEST_F(ComprehendEnricherMotoTest, SpanishPiiIsRejectedByMotoAsInvalidInput) {
  EnricherPtr enricher = NewComprehendEnricher(*client_, *clock_, kMotoOptions);
  auto r = enricher->Enrich({{"spanish-1", "[es] Escriba a jane@example.com antes del 12 de marzo."}},
                            EnrichOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(r.status().message().find("chunk spanish-1"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("ValidationException"), std::string::npos) << r.status().ToString();
  ASSERT_FALSE(routing_.answered.empty());
  EXPECT_EQ(routing_.answered.back().status, 400);
}

}  // namespace
}  // namespace docpipe
