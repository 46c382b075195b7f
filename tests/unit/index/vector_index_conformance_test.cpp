// The VectorIndex port's contract (index/vector_index.h) in vector mode, run
// against every adapter: the local index (hnswlib + SQLite) and Pinecone's
// adapter against the fake Pinecone. Keyword and hybrid search (local only),
// Pinecone's paging, packing and control plane stay in each adapter's file.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "http/curl_http_client.h"
#include "index/local_vector_index.h"
#include "index/pinecone_vector_index.h"
#include "support/conformance.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "unit/index/fake_pinecone.h"

namespace docpipe {
namespace {

constexpr int kDim = 8;  // the fake Pinecone's default dimension

struct IndexUnderTest {
  virtual ~IndexUnderTest() = default;
  virtual VectorIndex& index() = 0;
};

struct LocalIndexUnderTest : IndexUnderTest {
  testing::TempDir dir;
  VectorIndexPtr i;
  LocalIndexUnderTest() {
    LocalVectorIndexOptions o;
    o.directory = dir.path();
    o.dimension = kDim;
    Result<VectorIndexPtr> made = NewLocalVectorIndex(o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) i = std::move(*made);
  }
  VectorIndex& index() override { return *i; }
};

struct PineconeUnderTest : IndexUnderTest {
  testing::FakeClock clock;
  testing::FakePinecone fake;
  HttpClientPtr http = NewCurlHttpClient();
  VectorIndexPtr i;
  PineconeUnderTest() {
    PineconeOptions o;
    o.api_key = fake.options().api_key;
    o.index_name = fake.options().index_name;
    o.controller_host = fake.url();
    o.dimension = kDim;
    o.timeout_ms = 5000;
    Result<VectorIndexPtr> made = NewPineconeVectorIndex(*http, clock, o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) i = std::move(*made);
  }
  ~PineconeUnderTest() override {
    i.reset();  // the client's connections before the server
    http.reset();
  }
  VectorIndex& index() override { return *i; }
};

using IndexAdapter = testing::ConformanceAdapter<IndexUnderTest>;

// Deterministic, never all zero, different for each seed.
std::vector<float> ConformanceVec(int seed) {
  std::vector<float> v(kDim);
  for (int j = 0; j < kDim; ++j) v[j] = static_cast<float>(std::sin(seed * 12.9898 + j * 78.233 + 1.0));
  return v;
}

IndexedChunk MakeIndexedChunk(const std::string& doc, const std::string& version, int i, int seed) {
  IndexedChunk c;
  c.chunk_id = fmt::format("{}:{}:{}", doc, version, i);
  c.document_id = doc;
  c.processing_version = version;
  c.source_key = "input/manuals/" + doc + ".pdf";
  c.text = fmt::format("Chunk {} of {} version {}: the simplex method.", i, doc, version);
  c.breadcrumbs = {"GLPK Reference Manual", fmt::format("Chapter {}", i)};
  c.page_start = i + 1;
  c.page_end = i + 2;
  c.type = "text";
  c.key_phrases = {"simplex method", "basis"};
  c.language = "en";
  c.pii_types = {"EMAIL"};
  c.vector = ConformanceVec(seed);
  return c;
}

std::vector<IndexedChunk> Chunks(const std::string& doc, const std::string& version, int n, int seed0) {
  std::vector<IndexedChunk> out;
  for (int i = 0; i < n; ++i) out.push_back(MakeIndexedChunk(doc, version, i, seed0 + i));
  return out;
}

SearchQuery VectorQuery(std::vector<float> v, int k, std::string document_id = "") {
  SearchQuery q;
  q.vector = std::move(v);
  q.mode = SearchMode::kVector;
  q.k = k;
  q.document_id = std::move(document_id);
  return q;
}

std::set<std::string> HitIdSet(const std::vector<SearchHit>& hits) {
  std::set<std::string> out;
  for (const SearchHit& h : hits) out.insert(h.chunk.chunk_id);
  return out;
}

class VectorIndexConformanceTest : public ::testing::TestWithParam<IndexAdapter> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_NE(under_test_, nullptr);
  }
  VectorIndex& index() { return under_test_->index(); }

 private:
  std::unique_ptr<IndexUnderTest> under_test_;
};

TEST_P(VectorIndexConformanceTest, NearestChunkFirstWithItsMetadata) {
  const std::vector<IndexedChunk> a = Chunks("doc-a", "000001", 5, 10);
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", a).ok());
  ASSERT_TRUE(index().ReplaceDocument("doc-b", "000002", Chunks("doc-b", "000002", 5, 50)).ok());
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(a[3].vector, 4));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 4u);
  const SearchHit& top = hits->front();
  EXPECT_EQ(top.chunk.chunk_id, "doc-a:000001:3");
  EXPECT_NEAR(top.score, 1.0, 1e-4);
  EXPECT_EQ(top.vector_rank, 1);
  EXPECT_EQ(top.chunk.document_id, "doc-a");
  EXPECT_EQ(top.chunk.processing_version, "000001");
  EXPECT_EQ(top.chunk.source_key, "input/manuals/doc-a.pdf");
  EXPECT_EQ(top.chunk.text, a[3].text);
  EXPECT_EQ(top.chunk.breadcrumbs, a[3].breadcrumbs);
  EXPECT_EQ(top.chunk.page_start, 4);
  EXPECT_EQ(top.chunk.page_end, 5);
  EXPECT_EQ(top.chunk.key_phrases, a[3].key_phrases);
  EXPECT_TRUE(top.chunk.vector.empty());
  for (size_t i = 1; i < hits->size(); ++i) EXPECT_LE((*hits)[i].score, (*hits)[i - 1].score) << i;
}

TEST_P(VectorIndexConformanceTest, PrintedPageLabelsComeBackWithTheHit) {
  std::vector<IndexedChunk> a = Chunks("doc-a", "000001", 3, 10);
  a[0].page_label_start = "xii";  // front matter into the body
  a[0].page_label_end = "1";
  // a[1] has none (a document without page labels)
  a[2].page_label_start = a[2].page_label_end = "A-3";
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", a).ok());
  for (int i : {0, 1, 2}) {
    Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(a[static_cast<size_t>(i)].vector, 1));
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().chunk.chunk_id, a[static_cast<size_t>(i)].chunk_id);
    EXPECT_EQ(hits->front().chunk.page_label_start, a[static_cast<size_t>(i)].page_label_start) << i;
    EXPECT_EQ(hits->front().chunk.page_label_end, a[static_cast<size_t>(i)].page_label_end) << i;
  }
  // A new version without labels leaves none of the old ones behind.
  std::vector<IndexedChunk> b = Chunks("doc-a", "000002", 1, 10);
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000002", b).ok());
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(b[0].vector, 1));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().chunk.page_label_start, "");
  EXPECT_EQ(hits->front().chunk.page_label_end, "");
}

TEST_P(VectorIndexConformanceTest, DocumentFilterKeepsToThatDocument) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 4, 10)).ok());
  const std::vector<IndexedChunk> b = Chunks("doc-b", "000001", 4, 50);
  ASSERT_TRUE(index().ReplaceDocument("doc-b", "000001", b).ok());
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(ConformanceVec(10), 10, "doc-b"));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIdSet(*hits), (std::set<std::string>{"doc-b:000001:0", "doc-b:000001:1", "doc-b:000001:2",
                                                "doc-b:000001:3"}));
}

TEST_P(VectorIndexConformanceTest, NewVersionReplacesTheOldChunks) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 3, 10)).ok());
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000002", Chunks("doc-a", "000002", 2, 20)).ok());
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(ConformanceVec(10), 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIdSet(*hits), (std::set<std::string>{"doc-a:000002:0", "doc-a:000002:1"}));
}

TEST_P(VectorIndexConformanceTest, DeleteRemovesTheDocumentAndIsIdempotent) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 3, 10)).ok());
  ASSERT_TRUE(index().ReplaceDocument("doc-b", "000001", Chunks("doc-b", "000001", 2, 50)).ok());
  ASSERT_TRUE(index().DeleteDocument("doc-a").ok());
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(ConformanceVec(10), 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIdSet(*hits), (std::set<std::string>{"doc-b:000001:0", "doc-b:000001:1"}));
  EXPECT_TRUE(index().DeleteDocument("doc-a").ok());
  EXPECT_TRUE(index().DeleteDocument("never-indexed").ok());
}

TEST_P(VectorIndexConformanceTest, WrongDimensionIsInvalidInput) {
  std::vector<IndexedChunk> chunks = Chunks("doc-a", "000001", 2, 10);
  chunks[1].vector.push_back(0.5f);
  Status st = index().ReplaceDocument("doc-a", "000001", chunks);
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput) << st.ToString();
}

TEST_P(VectorIndexConformanceTest, StatsNameTheDimension) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 3, 10)).ok());
  Result<IndexStats> stats = index().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->dimension, kDim);
  EXPECT_EQ(stats->chunks, 3);
}

INSTANTIATE_TEST_SUITE_P(
    Adapters, VectorIndexConformanceTest,
    ::testing::Values(IndexAdapter{"Local", [] { return std::make_unique<LocalIndexUnderTest>(); }},
                      IndexAdapter{"PineconeFake", [] { return std::make_unique<PineconeUnderTest>(); }}),
    testing::AdapterName());

}  // namespace
}  // namespace docpipe
