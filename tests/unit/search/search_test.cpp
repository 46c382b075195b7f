#include "search/search.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "index/local_vector_index.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

TEST(PageCitationTest, PrintedLabelWithThePhysicalPageInBrackets) {
  EXPECT_EQ(PageCitation(15, 15, "xii", "xii"), "p. xii (15)");
  EXPECT_EQ(PageCitation(15, 17, "xii", "xiv"), "pp. xii\u2013xiv (15\u201317)");
  EXPECT_EQ(PageCitation(18, 19, "16", "17"), "pp. 16\u201317 (18\u201319)");
  // Front matter into the body: each end keeps its own label.
  EXPECT_EQ(PageCitation(14, 15, "xiv", "1"), "pp. xiv\u20131 (14\u201315)");
}

TEST(PageCitationTest, NumberAloneWhenTheLabelIsThePageNumberOrUnknown) {
  EXPECT_EQ(PageCitation(15, 15, "15", "15"), "p. 15");
  EXPECT_EQ(PageCitation(15, 15, "", ""), "p. 15");
  EXPECT_EQ(PageCitation(15, 17, "", ""), "pp. 15\u201317");
  // One end unknown: the number stands in for it.
  EXPECT_EQ(PageCitation(3, 4, "iii", ""), "pp. iii\u20134 (3\u20134)");
}

TEST(PageCitationTest, ChunkOverload) {
  IndexedChunk c;
  c.page_start = c.page_end = 2;
  c.page_label_start = c.page_label_end = "ii";
  EXPECT_EQ(PageCitation(c), "p. ii (2)");
}

// A table of contents matches a query's words as well as the section it
// lists, and an index better: they go after every chunk that holds text.
TEST(RunSearchTest, ContentsChunksRankAfterTheText) {
  testing::TempDir dir;
  Result<VectorIndexPtr> index = NewLocalVectorIndex({.directory = dir.Join("index"), .dimension = 4});
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  std::vector<IndexedChunk> chunks;
  auto add = [&](const std::string& type, const std::string& text) {
    IndexedChunk c;
    c.chunk_id = fmt::format("doc:000001:{}", chunks.size());
    c.document_id = "doc";
    c.processing_version = "000001";
    c.source_key = "input/doc.pdf";
    c.text = text;
    c.type = type;
    c.page_start = c.page_end = static_cast<int>(chunks.size()) + 1;
    c.vector = {1, 0, 0, static_cast<float>(chunks.size())};
    chunks.push_back(c);
  };
  add("contents", "Set statement . . . 31\nSet expression . . . 12\nSet statement data . . . 48");
  add("contents", "set statement, 31, 32, 48\nset statement (data), 48\nset, 12");
  add("text", "The set statement declares a set of a model.");
  add("text", "A set statement may name a default value.");
  add("text", "Arrays of sets come from a set statement with a domain.");
  ASSERT_TRUE((*index)->ReplaceDocument("doc", "000001", chunks).ok());

  auto ids = [&](int k, SearchMode mode) {
    SearchRequest r;
    r.query = "set statement";
    r.k = k;
    r.mode = mode;
    Result<std::vector<SearchResult>> got = RunSearch(nullptr, **index, r);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> out;
    if (!got.ok()) return out;
    for (const SearchResult& s : *got) {
      EXPECT_EQ(s.rank, static_cast<int>(out.size()) + 1);
      out.push_back(s.hit.chunk.type);
    }
    return out;
  };
  // The index alone ranks a contents chunk among its first three.
  SearchQuery raw;
  raw.text = "set statement";
  raw.mode = SearchMode::kKeyword;
  raw.k = 3;
  Result<std::vector<SearchHit>> plain = (*index)->Search(raw);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->size(), 3u);
  auto is_contents = [](const SearchHit& h) { return h.chunk.type == "contents"; };
  EXPECT_TRUE(std::any_of(plain->begin(), plain->end(), is_contents));
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(3, SearchMode::kKeyword), (V{"text", "text", "text"}));
  EXPECT_EQ(ids(5, SearchMode::kKeyword), (V{"text", "text", "text", "contents", "contents"}));
  EXPECT_EQ(ids(4, SearchMode::kKeyword), (V{"text", "text", "text", "contents"}));
}

}  // namespace
}  // namespace docpipe
