// With --redact-pii, no seeded PII string reaches the index or embeddings/;
// the originals remain only under extracted/.
#include <fstream>
#include <iterator>

#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

const std::vector<std::string> kSeededPii = {
    "jane.doe@example.com",  "+1 650 253 0000",         "4111 1111 1111 1111", "078-05-1120",
    "GB82 WEST 1234 5698 7654 32", "192.168.17.42",     "AKIAIOSFODNN7EXAMPLE",
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(CliTest, RedactedPiiNeverReachesTheIndexOrEmbeddings) {
  std::string doc = "# Customer record\n\nThe account holder can be reached at jane.doe@example.com or by "
                    "phone on +1 650 253 0000. Payment card 4111 1111 1111 1111 is on file, with SSN "
                    "078-05-1120 and IBAN GB82 WEST 1234 5698 7654 32.\n\n## Access\n\nLogins came from "
                    "192.168.17.42 using the key AKIAIOSFODNN7EXAMPLE. The customer record was reviewed "
                    "by the billing team and archived.\n";
  WriteDoc("customer.md", doc);
  ProcessResult r = Docpipe({"ingest", "--redact-pii", Docs()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json rec = RecordFor("customer.md");
  const std::string id = rec["document_id"];
  EXPECT_GE(rec["stage_status"]["enrich"]["metrics"]["pii_entities"].get<int>(), 7) << rec.dump(2);

  nlohmann::json results = DocpipeJson({"search", "customer account holder billing", "-k", "20", "--json"});
  ASSERT_FALSE(results.empty());
  std::string all_text;
  for (const auto& h : results) all_text += h["text"].get<std::string>() + "\n";
  EXPECT_NE(all_text.find("[EMAIL]"), std::string::npos) << all_text;
  EXPECT_NE(all_text.find("[CREDIT_DEBIT_NUMBER]"), std::string::npos) << all_text;

  const std::vector<std::string> must_be_clean = {
      Slurp(Workspace() + "/index/index.db"),      Slurp(StorePath("embeddings/" + id + ".json")),
      Slurp(StorePath("redacted/" + id + ".json")), Slurp(StorePath("enriched/" + id + ".json")),
      all_text,
  };
  for (const std::string& pii : kSeededPii) {
    for (size_t i = 0; i < must_be_clean.size(); ++i) {
      EXPECT_EQ(must_be_clean[i].find(pii), std::string::npos) << pii << " leaked into artefact #" << i;
    }
    // Nothing in the index matches it either.
    EXPECT_TRUE(DocpipeJson({"search", pii, "--mode", "keyword", "--json"}).empty() ||
                DocpipeJson({"search", pii, "--mode", "keyword", "--json"})[0]["text"].get<std::string>().find(pii) ==
                    std::string::npos);
  }
  // The originals stay in extracted/ and in stage 2's chunks/: the redacted
  // texts are stage 3's own output (redacted/), which stages 4 and 5 use.
  EXPECT_NE(Slurp(StorePath("extracted/" + id + "/page-0001.md")).find("jane.doe@example.com"), std::string::npos);
  EXPECT_NE(Slurp(StorePath("chunks/" + id + ".json")).find("jane.doe@example.com"), std::string::npos);
  EXPECT_NE(Slurp(StorePath("redacted/" + id + ".json")).find("[EMAIL]"), std::string::npos);
}

}  // namespace
}  // namespace docpipe::testing
