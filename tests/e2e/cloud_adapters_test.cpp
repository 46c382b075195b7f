// The cloud adapters in a full pipeline run on real documents: Amazon
// Comprehend (enrich), OpenAI embeddings (embed) and Pinecone (load and
// search), with the embedded tables. The three services are local fakes in
// this process that speak their APIs and check every request against the
// documented limits; the adapters' request shapes are checked against the
// official clients in the unit tests.
#include <httplib.h>

#include <atomic>
#include <iostream>
#include <cstring>
#include <cctype>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/ai_fakes.h"
#include "e2e/cli_fixture.h"
#include "embed/embedder.h"
#include "unit/index/fake_pinecone.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

class CloudAdaptersTest : public CliTest {};

TEST_F(CloudAdaptersTest, ComprehendOpenAiAndPineconeRunRealDocumentsAndSearchFindsTheRightPages) {
  FakeComprehend comprehend;
  FakeOpenAi openai;
  FakePineconeOptions po;
  po.api_key = "pk-e2e-test";
  po.index_name = "docs";
  po.dimension = 256;
  po.exists = false;  // docpipe creates the serverless index
  FakePinecone pinecone(po);

  EnvOverrides env = OpenAiAndPineconeEnv(openai.url(), pinecone.url());
  env.insert({{"DOCPIPE_ENRICHER", "comprehend"},
              {"AWS_ENDPOINT_URL_COMPREHEND", comprehend.url()},
              {"AWS_ACCESS_KEY_ID", "AKIDE2E"},
              {"AWS_SECRET_ACCESS_KEY", "e2e-secret"},
              {"AWS_REGION", "us-east-1"},
              {"AWS_SHARED_CREDENTIALS_FILE", dir_.Join("none")},
              {"AWS_CONFIG_FILE", dir_.Join("none")}});

  std::filesystem::create_directories(Docs());
  std::filesystem::copy_file("/usr/share/doc/libtasn1-doc/libtasn1.pdf", Docs() + "/libtasn1.pdf");
  std::filesystem::copy_file("/usr/share/doc/glpk-doc/gmpl.pdf", Docs() + "/gmpl.pdf");
  WriteDoc("contact.md", "# Support\n\nWrite to help-glpk@gnu.org about GLPK installation problems.\n");

  ProcessResult ingest = Docpipe({"ingest", Docs(), "--json"}, env, 900);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.out << ingest.err;
  json records = DocpipeJson({"status", "--json"}, env);
  ASSERT_EQ(records.size(), 3u);
  int64_t chunks = 0;
  for (const json& r : records) {
    SCOPED_TRACE(r.value("source_key", ""));
    EXPECT_EQ(r["status"], "COMPLETED") << r.dump(1);
    chunks += r["chunk_count"].get<int64_t>();
    const json& enrich = r["stage_status"]["enrich"]["metrics"];
    EXPECT_GT(enrich.value("comprehend_calls", 0), 0) << enrich.dump();
    const json& embed = r["stage_status"]["embed"]["metrics"];
    EXPECT_GT(embed.value("tokens", 0), 0) << embed.dump();
  }
  // Every chunk is in Pinecone, and the fakes saw no request break a limit.
  EXPECT_EQ(static_cast<int64_t>(pinecone.Ids().size()), chunks);
  EXPECT_TRUE(pinecone.violations().empty()) << ::testing::PrintToString(pinecone.violations());
  EXPECT_TRUE(openai.violations().empty()) << ::testing::PrintToString(openai.violations());
  EXPECT_TRUE(comprehend.violations().empty()) << ::testing::PrintToString(comprehend.violations());
  EXPECT_GT(openai.requests(), 0);
  EXPECT_GT(comprehend.calls("DetectPiiEntities"), 0);
  EXPECT_GT(comprehend.calls("BatchDetectEntities") + comprehend.calls("DetectEntities"), 0);

  // The e-mail address was found by Comprehend's PII detection.
  std::string enriched;
  for (const json& r : records) {
    if (r["source_key"].get<std::string>().find("contact.md") != std::string::npos) {
      enriched = ReadFile(StorePath("enriched/" + r["document_id"].get<std::string>() + ".json"));
    }
  }
  EXPECT_NE(enriched.find("EMAIL"), std::string::npos) << enriched.substr(0, 2000);

  // Search runs through OpenAI (the query) and Pinecone (the vectors), and
  // finds the pages that answer (questions of tests/e2e/search_test.cpp).
  struct Question {
    const char* query;
    const char* source;
    int first_page, last_page;
  };
  const Question questions[] = {
      {"How can I decode a DER encoded string into an ASN.1 structure?", "libtasn1.pdf", 23, 23},
      {"How are comments written in a MathProg model?", "gmpl.pdf", 11, 12},
      {"what are numeric literals in the modeling language", "gmpl.pdf", 10, 10}};
  // The fake's bag-of-words vectors are no real model: the bar is hit@5 on
  // two of the three questions; each miss is printed.
  int answered = 0;
  for (const Question& q : questions) {
    json hits = DocpipeJson({"search", "--json", "-k", "5", q.query}, env);
    ASSERT_TRUE(hits.is_array() && !hits.empty()) << hits.dump();
    bool found = false;
    for (const json& h : hits) {
      const std::string source = h.value("source_key", "");
      found = found || (source.size() >= std::strlen(q.source) &&
                        source.compare(source.size() - std::strlen(q.source), std::string::npos, q.source) == 0 &&
                        h["page_start"].get<int>() <= q.last_page && h["page_end"].get<int>() >= q.first_page);
    }
    answered += found;
    if (!found) {
      std::cout << "missed: " << q.query << " (expected " << q.source << " p" << q.first_page << "); top hit "
                << hits[0].value("source_key", "") << " p" << hits[0].value("page_start", 0) << "\n";
    }
  }
  EXPECT_GE(answered, 2);
  EXPECT_EQ(pinecone.requests("POST /query").size(), 3u);
  EXPECT_EQ(pinecone.requests("POST /indexes").size(), 1u);  // created when absent
}

}  // namespace
}  // namespace docpipe::testing
