// Real PDF manuals from Debian's doc packages (installed by `make test`):
// page counts agree with poppler's pdfinfo, headings are found, and the
// chunks respect their invariants.
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "tokenize/bpe_tokenizer.h"
#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

const std::vector<std::string> kManuals = {
    "/usr/share/doc/glpk-doc/glpk.pdf",   "/usr/share/doc/glpk-doc/gmpl.pdf",
    "/usr/share/doc/glpk-doc/graphs.pdf", "/usr/share/doc/glpk-doc/cnfsat.pdf",
    "/usr/share/doc/glpk-doc/gmpl_es.pdf", "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
};

// Page count according to an independent implementation (poppler).
int PdfinfoPages(const std::string& path) {
  ProcessResult r = RunProcess({"pdfinfo", path});
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Pages:", 0) == 0) return std::stoi(line.substr(6));
  }
  return -1;
}

std::vector<std::string> ManualWords(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      w.push_back(static_cast<char>(c));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

class RealDocumentsTest : public CliTest {
 protected:
  void SetUp() override {
    for (const std::string& m : kManuals) {
      if (!std::filesystem::exists(m)) FAIL() << m << " missing: run `make test`, which installs glpk-doc and libtasn1-doc";
      std::filesystem::create_directories(Docs());
      std::filesystem::create_symlink(m, Docs() + "/" + std::filesystem::path(m).filename().string());
    }
  }
};

TEST_F(RealDocumentsTest, ManualsCompleteWithRightPagesHeadingsAndChunks) {
  ProcessResult r = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& rec : Status()) {
    std::string key = rec["source_key"];
    by_name[key.substr(key.rfind('/') + 1)] = rec;
  }
  ASSERT_EQ(by_name.size(), kManuals.size());
  for (const std::string& path : kManuals) {
    const std::string name = std::filesystem::path(path).filename().string();
    SCOPED_TRACE(name);
    const nlohmann::json& rec = by_name[name];
    ASSERT_EQ(rec["status"], "COMPLETED");
    const int pages = rec["page_count"];
    EXPECT_EQ(pages, PdfinfoPages(path));
    const std::string id = rec["document_id"];

    nlohmann::json meta = nlohmann::json::parse(ReadFile(StorePath("extracted/" + id + "/metadata.json")));
    EXPECT_EQ(meta["page_count"], pages);
    EXPECT_EQ(meta["chars_per_page"].size(), static_cast<size_t>(pages));
    ASSERT_GE(meta["outline"].size(), 3u) << "no headings found";
    for (const auto& h : meta["outline"]) {
      EXPECT_GE(h["page"].get<int>(), 1);
      EXPECT_LE(h["page"].get<int>(), pages);
      EXPECT_GE(h["level"].get<int>(), 1);
    }

    nlohmann::json chunks = nlohmann::json::parse(ReadFile(StorePath("chunks/" + id + ".json")));
    EXPECT_EQ(chunks["tokenizer"], "cl100k_base");  // text-embedding-3-small's encoding
    Result<TokenizerPtr> tokenizer = NewBpeTokenizer(chunks["tokenizer"]);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    EXPECT_EQ(chunks["chunk_count"], rec["chunk_count"]);
    const int max_tokens = chunks["options"]["max_tokens"];
    int previous_start = 1;
    std::map<int, std::string> text_by_page;  // chunk text covering each page
    for (size_t i = 0; i < chunks["chunks"].size(); ++i) {
      const auto& c = chunks["chunks"][i];
      EXPECT_EQ(c["chunk_id"], id + ":000001:" + std::to_string(i));
      const std::string text = c["text"];
      EXPECT_LE(c["token_count"].get<int>(), max_tokens);
      EXPECT_EQ(c["token_count"].get<size_t>(), (*tokenizer)->Count(text));  // exact, not estimated
      const int start = c["page_start"], end = c["page_end"];
      EXPECT_GE(start, previous_start) << "page ranges must be monotonic";
      EXPECT_LE(start, end);
      EXPECT_LE(end, pages);
      previous_start = start;
      for (int p = start; p <= end; ++p) text_by_page[p] += text + "\n";
    }
    // Every page with text is covered, and (nearly) all its words made it into
    // the chunks that claim the page.
    for (int p = 1; p <= pages; ++p) {
      if (meta["chars_per_page"][p - 1].get<int>() == 0) continue;
      char page_key[64];
      std::snprintf(page_key, sizeof(page_key), "extracted/%s/page-%04d.md", id.c_str(), p);
      std::vector<std::string> page_words = ManualWords(ReadFile(StorePath(page_key)));
      if (page_words.empty()) continue;
      ASSERT_TRUE(text_by_page.count(p)) << "page " << p << " is in no chunk";
      std::vector<std::string> chunk_words = ManualWords(text_by_page[p]);
      std::set<std::string> have(chunk_words.begin(), chunk_words.end());
      size_t found = 0;
      for (const std::string& w : page_words) found += have.count(w);
      EXPECT_GE(static_cast<double>(found) / page_words.size(), 0.99) << "page " << p;
    }
  }
  // glpk's reference manual: chapter headings land in the outline, with the
  // "Chapter N" line set above each title.
  nlohmann::json glpk = nlohmann::json::parse(
      ReadFile(StorePath("extracted/" + by_name["glpk.pdf"]["document_id"].get<std::string>() + "/metadata.json")));
  std::set<std::string> headings;
  for (const auto& h : glpk["outline"]) headings.insert(h["text"]);
  EXPECT_TRUE(headings.count("Chapter 1 Introduction")) << glpk["outline"].dump().substr(0, 2000);
  EXPECT_TRUE(headings.count("Chapter 2 Basic API Routines")) << glpk["outline"].dump().substr(0, 2000);
}

}  // namespace
}  // namespace docpipe::testing
