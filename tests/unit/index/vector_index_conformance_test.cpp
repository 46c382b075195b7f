// The VectorIndex port's contract (index/vector_index.h) in vector mode, run
// against every adapter: the local index (hnswlib + SQLite) and Pinecone's
// adapter against the fake Pinecone. Keyword and hybrid search (local only),
// Pinecone's paging, packing and control plane stay in each adapter's file.
#include <gtest/gtest.h>

#include <atomic>
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

// The chunk view's pages: every chunk of the document once, none of another
// document's, whatever the page size (over Pinecone's 100 ids per list too),
// each page in chunk order, entities kept.
TEST_P(VectorIndexConformanceTest, ChunkPagesWalkEveryChunkOnce) {
  std::vector<IndexedChunk> a = Chunks("doc-a", "000001", 25, 10);
  a[7].entities = {{"ORGANIZATION", "Acme"}, {"PERSON", "Ada Lovelace"}};
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", a).ok());
  ASSERT_TRUE(index().ReplaceDocument("doc-ab", "000001", Chunks("doc-ab", "000001", 3, 50)).ok());
  std::set<std::string> expected;
  for (const IndexedChunk& c : a) expected.insert(c.chunk_id);
  for (int limit : {1, 4, 25, 150}) {
    ChunkListQuery q{.document_id = "doc-a", .limit = limit};
    std::vector<std::string> walked;
    for (int pages = 0; pages < 100; ++pages) {
      Result<ChunkPage> page = index().ListChunks(q);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ASSERT_LE(page->chunks.size(), static_cast<size_t>(limit));
      if (page->total >= 0) {
        EXPECT_EQ(page->total, 25);
      }
      for (size_t i = 0; i < page->chunks.size(); ++i) {
        const IndexedChunk& c = page->chunks[i];
        walked.push_back(c.chunk_id);
        if (i > 0) {
          EXPECT_LT(page->chunks[i - 1].page_start, c.page_start) << "a page is in chunk order";
        }
        const IndexedChunk& want = a[c.page_start - 1];
        EXPECT_EQ(c.chunk_id, want.chunk_id);
        EXPECT_EQ(c.document_id, "doc-a");
        EXPECT_EQ(c.text, want.text);
        EXPECT_EQ(c.breadcrumbs, want.breadcrumbs);
        EXPECT_EQ(c.key_phrases, want.key_phrases);
        EXPECT_EQ(c.pii_types, want.pii_types);
        EXPECT_EQ(c.language, "en");
        EXPECT_EQ(c.entities, want.entities) << c.chunk_id;
        EXPECT_TRUE(c.vector.empty());
      }
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    EXPECT_EQ(walked.size(), expected.size()) << "limit " << limit << ": nothing repeated";
    EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()), expected) << "limit " << limit << ": nothing lost";
  }
  Result<ChunkPage> none = index().ListChunks({.document_id = "never-indexed", .limit = 10});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->chunks.empty());
  EXPECT_TRUE(none->next_cursor.empty());
}

TEST_P(VectorIndexConformanceTest, ChunkPagesRefuseBadCursorsAndLimits) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 3, 10)).ok());
  Result<ChunkPage> first = index().ListChunks({.document_id = "doc-a", .limit = 1});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->next_cursor.empty());
  for (int limit : {0, kMaxChunkPage + 1}) {
    Result<ChunkPage> page = index().ListChunks({.document_id = "doc-a", .limit = limit});
    EXPECT_TRUE(page.status().code() == Status::Code::kInvalidInput) << limit;
  }
  Result<ChunkPage> bad = index().ListChunks({.document_id = "doc-a", .limit = 1, .cursor = "%%%"});
  EXPECT_TRUE(bad.status().code() == Status::Code::kInvalidInput);
  EXPECT_EQ(bad.status().message().rfind("cursor", 0), 0u) << bad.status().ToString();
  Result<ChunkPage> other = index().ListChunks({.document_id = "doc-b", .limit = 1, .cursor = first->next_cursor});
  EXPECT_TRUE(other.status().code() == Status::Code::kInvalidInput) << other.status().ToString();
}

// Issue 17, item 2: a load ran 25 minutes against a 10-minute stage limit.
// The load stage's cancel flag (raised at its deadline) stops a replacement
// before it has changed anything: the old version stays searchable.
TEST_P(VectorIndexConformanceTest, AReplacementStopsWhenItsStageIsCancelled) {
  ASSERT_TRUE(index().ReplaceDocument("doc-a", "000001", Chunks("doc-a", "000001", 3, 10)).ok());
  std::atomic<bool> cancel{true};
  Status st = index().ReplaceDocument("doc-a", "000002", Chunks("doc-a", "000002", 600, 20), &cancel);
  EXPECT_EQ(st.code(), Status::Code::kCancelled) << st.ToString();
  Result<std::vector<SearchHit>> hits = index().Search(VectorQuery(ConformanceVec(10), 10));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(HitIdSet(*hits), (std::set<std::string>{"doc-a:000001:0", "doc-a:000001:1", "doc-a:000001:2"}));
}

INSTANTIATE_TEST_SUITE_P(
    Adapters, VectorIndexConformanceTest,
    ::testing::Values(IndexAdapter{"Local", [] { return std::make_unique<LocalIndexUnderTest>(); }},
                      IndexAdapter{"PineconeFake", [] { return std::make_unique<PineconeUnderTest>(); }}),
    testing::AdapterName());

}  // namespace
}  // namespace docpipe
