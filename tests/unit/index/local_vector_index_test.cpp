#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include "common/sqlite_db.h"
#include "index/local_vector_index.h"
#include "index/vector_index.h"
#include "support/fake_clock.h"
#include "support/pipeline_workspace.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

std::vector<float> RandomUnit(int dim, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(dim);
  double sum = 0;
  for (float& x : v) {
    x = normal(rng);
    sum += x * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(sum));
  return v;
}

IndexedChunk MakeLocalChunk(const std::string& doc, const std::string& version, int i, std::string text,
                       std::vector<float> vec) {
  IndexedChunk c;
  c.chunk_id = fmt::format("{}:{}:{}", doc, version, i);
  c.document_id = doc;
  c.processing_version = version;
  c.source_key = "input/" + doc + ".pdf";
  c.text = std::move(text);
  c.breadcrumbs = {"Guide", "Section " + std::to_string(i)};
  c.page_start = i + 1;
  c.page_end = i + 2;
  c.type = "text";
  c.key_phrases = {"phrase" + std::to_string(i)};
  c.language = "en";
  c.pii_types = {};
  c.vector = std::move(vec);
  return c;
}

std::vector<std::string> Ids(const std::vector<SearchHit>& hits) {
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.chunk.chunk_id);
  return ids;
}

class LocalVectorIndexTest : public ::testing::Test {
 protected:
  VectorIndexPtr Open(int dimension = 8, int ef_search = 64, int64_t graph_file_searches = 16) {
    LocalVectorIndexOptions o;
    o.directory = dir_.Join("index");
    o.dimension = dimension;
    o.hnsw_ef_search = ef_search;
    o.graph_file_searches = graph_file_searches;
    auto index = NewLocalVectorIndex(o);
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    return index.ok() ? std::move(*index) : nullptr;
  }

  std::vector<SearchHit> Run(VectorIndex& index, SearchQuery q) {
    auto hits = index.Search(q);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<SearchHit>{};
  }

  static SearchQuery Query(SearchMode mode, std::string text, std::vector<float> vec, int k,
                           std::string doc = "") {
    SearchQuery q;
    q.mode = mode;
    q.text = std::move(text);
    q.vector = std::move(vec);
    q.k = k;
    q.document_id = std::move(doc);
    return q;
  }

  // `n` chunks of `doc`/`version` with random vectors and the given text.
  std::vector<IndexedChunk> Chunks(const std::string& doc, const std::string& version, int n,
                                   const std::string& text, int dim = 8) {
    std::vector<IndexedChunk> out;
    for (int i = 0; i < n; ++i) out.push_back(MakeLocalChunk(doc, version, i, text + " " + std::to_string(i), RandomUnit(dim, rng_)));
    return out;
  }

  testing::TempDir dir_;
  std::mt19937 rng_{42};
};

TEST_F(LocalVectorIndexTest, RecallAgainstBruteForce) {
  // Release runs the full 20,000; sanitizer builds are ~10x slower.
  const int n = testing::kAddressSanitizerBuild ? 3000 : 20000;
  const int dim = 128;
  const int queries = 200;
  const int k = 10;
  // Uniform random 128-d vectors are the worst case for HNSW (no
  // neighbourhood structure; the true top 10 are barely closer than the
  // rest): with M=16 and ef_construction=200 hnswlib itself reaches recall
  // ~0.70 at ef=128, ~0.94 at ef=400 and ~0.99 at ef=800, so search wide.
  auto index = Open(dim, /*ef_search=*/640);
  ASSERT_NE(index, nullptr);
  std::vector<std::vector<float>> data;
  const int per_doc = 1000;
  for (int d = 0; d * per_doc < n; ++d) {
    std::vector<IndexedChunk> chunks;
    for (int i = 0; i < per_doc && d * per_doc + i < n; ++i) {
      data.push_back(RandomUnit(dim, rng_));
      chunks.push_back(MakeLocalChunk("doc" + std::to_string(d), "v1", i, "text", data.back()));
    }
    ASSERT_TRUE(index->ReplaceDocument("doc" + std::to_string(d), "v1", chunks).ok());
  }
  auto stats = index->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->chunks, n);

  int found = 0;
  for (int qi = 0; qi < queries; ++qi) {
    std::vector<float> q = RandomUnit(dim, rng_);
    std::vector<std::pair<float, int>> exact;
    for (int i = 0; i < n; ++i) {
      float dot = 0;
      for (int j = 0; j < dim; ++j) dot += q[j] * data[i][j];
      exact.emplace_back(-dot, i);
    }
    std::partial_sort(exact.begin(), exact.begin() + k, exact.end());
    std::set<std::string> truth;
    for (int i = 0; i < k; ++i) {
      int idx = exact[i].second;
      truth.insert(fmt::format("doc{}:v1:{}", idx / per_doc, idx % per_doc));
    }
    auto hits = Run(*index, Query(SearchMode::kVector, "", q, k));
    ASSERT_EQ(hits.size(), static_cast<size_t>(k));
    for (const auto& h : hits) found += truth.count(h.chunk.chunk_id);
    // Scores are cosine similarities, best first.
    EXPECT_NEAR(hits[0].score, -exact[0].first, 0.05);
    for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  }
  double recall = static_cast<double>(found) / (queries * k);
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95) << "n=" << n;
}

TEST_F(LocalVectorIndexTest, ReplacementReturnsOnlyNewVersion) {
  auto index = Open();
  ASSERT_NE(index, nullptr);
  auto v1 = Chunks("a", "v1", 5, "apple orchard harvest");
  ASSERT_TRUE(index->ReplaceDocument("a", "v1", v1).ok());
  ASSERT_TRUE(index->ReplaceDocument("other", "v1", Chunks("other", "v1", 5, "unrelated filler")).ok());
  EXPECT_EQ(Run(*index, Query(SearchMode::kKeyword, "apple", {}, 10)).size(), 5u);

  auto v2 = Chunks("a", "v2", 3, "banana plantation");
  ASSERT_TRUE(index->ReplaceDocument("a", "v2", v2).ok());

  auto check = [&](const std::vector<SearchHit>& hits) {
    for (const auto& h : hits) {
      EXPECT_EQ(h.chunk.chunk_id.find(":v1:") == std::string::npos || h.chunk.document_id == "other", true)
          << h.chunk.chunk_id;
      if (h.chunk.document_id == "a") {
        EXPECT_EQ(h.chunk.processing_version, "v2");
      }
    }
  };
  for (const auto& old : v1) {
    auto vec_hits = Run(*index, Query(SearchMode::kVector, "", old.vector, 10));
    EXPECT_EQ(vec_hits.size(), 8u);
    check(vec_hits);
    auto hyb_hits = Run(*index, Query(SearchMode::kHybrid, old.text, old.vector, 10));
    check(hyb_hits);
  }
  EXPECT_TRUE(Run(*index, Query(SearchMode::kKeyword, "apple orchard harvest", {}, 10)).empty());
  auto kw = Run(*index, Query(SearchMode::kKeyword, "banana", {}, 10));
  ASSERT_EQ(kw.size(), 3u);
  check(kw);
  // A v2 chunk found by its own vector is the top hit with similarity 1.
  auto self = Run(*index, Query(SearchMode::kVector, "", v2[1].vector, 1));
  ASSERT_EQ(self.size(), 1u);
  EXPECT_EQ(self[0].chunk.chunk_id, "a:v2:1");
  EXPECT_NEAR(self[0].score, 1.0, 1e-5);
  EXPECT_EQ(self[0].vector_rank, 1);
  // Metadata round-trips.
  EXPECT_EQ(self[0].chunk.breadcrumbs, (std::vector<std::string>{"Guide", "Section 1"}));
  EXPECT_EQ(self[0].chunk.key_phrases, std::vector<std::string>{"phrase1"});
  EXPECT_EQ(self[0].chunk.page_start, 2);
  EXPECT_EQ(self[0].chunk.source_key, "input/a.pdf");
  EXPECT_TRUE(self[0].chunk.vector.empty());

  auto stats = index->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->chunks, 8);
  EXPECT_EQ(stats->documents, 2);
  EXPECT_EQ(stats->dimension, 8);
}

TEST_F(LocalVectorIndexTest, DeleteDocument) {
  auto index = Open();
  ASSERT_NE(index, nullptr);
  auto a = Chunks("a", "v1", 4, "kiwi");
  ASSERT_TRUE(index->ReplaceDocument("a", "v1", a).ok());
  ASSERT_TRUE(index->ReplaceDocument("b", "v1", Chunks("b", "v1", 4, "mango")).ok());
  ASSERT_TRUE(index->DeleteDocument("a").ok());
  EXPECT_TRUE(index->DeleteDocument("a").ok()) << "deleting again is fine";
  EXPECT_TRUE(index->DeleteDocument("never-there").ok());
  EXPECT_TRUE(Run(*index, Query(SearchMode::kKeyword, "kiwi", {}, 10)).empty());
  for (SearchMode mode : {SearchMode::kVector, SearchMode::kHybrid}) {
    auto hits = Run(*index, Query(mode, "kiwi", a[0].vector, 10));
    EXPECT_EQ(hits.size(), 4u);
    for (const auto& h : hits) EXPECT_EQ(h.chunk.document_id, "b");
  }
  EXPECT_EQ(index->Stats()->chunks, 4);
  EXPECT_EQ(index->Stats()->documents, 1);
  // Replacing with no chunks deletes too.
  ASSERT_TRUE(index->ReplaceDocument("b", "v2", {}).ok());
  EXPECT_EQ(index->Stats()->chunks, 0);
  EXPECT_TRUE(Run(*index, Query(SearchMode::kHybrid, "mango", a[0].vector, 10)).empty());
}

TEST_F(LocalVectorIndexTest, PersistsAndRebuildsGraph) {
  std::vector<IndexedChunk> all;
  std::vector<SearchHit> before_vec, before_hyb;
  std::vector<float> q = RandomUnit(8, rng_);
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    for (int d = 0; d < 10; ++d) {
      // fmt, not "d" + std::to_string(d): GCC 12 at -O3 warns about that (a false -Wstringop-overflow).
      const std::string id = fmt::format("d{}", d);
      auto chunks = Chunks(id, "v1", 30, fmt::format("river stone {}", d));
      ASSERT_TRUE(index->ReplaceDocument(id, "v1", chunks).ok());
    }
    ASSERT_TRUE(index->DeleteDocument("d3").ok());
    before_vec = Run(*index, Query(SearchMode::kVector, "", q, 10));
    before_hyb = Run(*index, Query(SearchMode::kHybrid, "stone 7", q, 10));
    ASSERT_EQ(before_vec.size(), 10u);
  }
  const std::string bin = dir_.Join("index/hnsw.bin");
  ASSERT_TRUE(std::filesystem::exists(bin)) << "closing saves the graph";
  auto same = [&](const std::vector<SearchHit>& a, const std::vector<SearchHit>& b) {
    ASSERT_EQ(Ids(a), Ids(b));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].score, b[i].score, 1e-6);
  };
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    same(Run(*index, Query(SearchMode::kVector, "", q, 10)), before_vec);
    same(Run(*index, Query(SearchMode::kHybrid, "stone 7", q, 10)), before_hyb);
    EXPECT_EQ(index->Stats()->chunks, 270);
  }
  std::filesystem::remove(bin);
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    // The graph loads on first need: a keyword search and Stats read SQLite only.
    EXPECT_EQ(Run(*index, Query(SearchMode::kKeyword, "stone 7", {}, 10)).size(), 10u);
    EXPECT_EQ(index->Stats()->chunks, 270);
    EXPECT_FALSE(std::filesystem::exists(bin)) << "no graph was needed yet";
    same(Run(*index, Query(SearchMode::kVector, "", q, 10)), before_vec);
    EXPECT_TRUE(std::filesystem::exists(bin)) << "a rebuilt graph is saved";
    same(Run(*index, Query(SearchMode::kHybrid, "stone 7", q, 10)), before_hyb);
  }
  // A graph file that is garbage is rebuilt too.
  testing::WriteFile(bin, "not an index");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    same(Run(*index, Query(SearchMode::kVector, "", q, 10)), before_vec);
  }
}

// Issue 17: on a full disk hnsw.bin and hnsw.gen were replaced by 0-byte
// files (hnswlib's saveIndex ignores write errors). The temporary file the
// save writes is made a link to /dev/full, whose every write fails with
// ENOSPC as a full disk's does: the save must fail and keep the good files.
TEST_F(LocalVectorIndexTest, AFailedSaveOnAFullDiskKeepsTheGoodGraphFiles) {
  std::vector<float> q = RandomUnit(8, rng_);
  std::vector<SearchHit> before;
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("a", "v1", Chunks("a", "v1", 40, "granite")).ok());
    before = Run(*index, Query(SearchMode::kVector, "", q, 5));
  }
  const std::string bin = dir_.Join("index/hnsw.bin"), gen = dir_.Join("index/hnsw.gen");
  const std::string good_bin = testing::ReadFile(bin), good_gen = testing::ReadFile(gen);
  ASSERT_GT(good_bin.size(), 1000u);
  for (const char* tmp : {"hnsw.bin", "hnsw.gen"}) {
    const std::string link = dir_.Join("index/") + tmp + ".tmp." + std::to_string(::getpid());
    ASSERT_EQ(::symlink("/dev/full", link.c_str()), 0);
    {
      auto index = Open();
      ASSERT_NE(index, nullptr);
      ASSERT_TRUE(index->ReplaceDocument("b", "v1", Chunks("b", "v1", 10, "basalt")).ok());
      ASSERT_TRUE(index->DeleteDocument("b").ok());
      EXPECT_EQ(Run(*index, Query(SearchMode::kVector, "", q, 5)).size(), 5u);
    }  // closing saves: into /dev/full
    // (Before the fix the link itself was renamed over hnsw.bin.)
    ASSERT_FALSE(std::filesystem::is_symlink(bin)) << tmp << ": /dev/full replaced the good hnsw.bin";
    ASSERT_FALSE(std::filesystem::is_symlink(gen)) << tmp;
    EXPECT_EQ(testing::ReadFile(bin), good_bin) << tmp << ": a short file replaced the good hnsw.bin";
    EXPECT_EQ(testing::ReadFile(gen).substr(0, 12), "hnsw-gen-v1 ") << tmp;
    std::filesystem::remove(link);
  }
  // And the index still opens and answers as before.
  auto index = Open();
  ASSERT_NE(index, nullptr);
  auto after = Run(*index, Query(SearchMode::kVector, "", q, 5));
  ASSERT_EQ(Ids(after), Ids(before));
}

// Issue 17: during a long load, a reader failed with "index.db: BEGIN
// IMMEDIATE: database is locked": opening the index took the write lock (to
// check the schema) and waited out the busy timeout behind the load.
TEST_F(LocalVectorIndexTest, AReaderNeverWaitsForTheWriteLockALoadHolds) {
  std::vector<float> q = RandomUnit(8, rng_);
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("a", "v1", Chunks("a", "v1", 40, "granite")).ok());
  }
  auto loader = SqliteDb::Open(dir_.Join("index/index.db"));
  ASSERT_TRUE(loader.ok());
  auto held = (*loader)->Begin();  // BEGIN IMMEDIATE, held as a long load holds it
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  auto reader = NewLocalVectorIndex([&] {
    LocalVectorIndexOptions o;
    o.directory = dir_.Join("index");
    o.dimension = 8;
    return o;
  }());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(Run(**reader, Query(SearchMode::kKeyword, "granite", {}, 5)).size(), 5u);
  EXPECT_EQ(Run(**reader, Query(SearchMode::kHybrid, "granite", q, 5)).size(), 5u);
  auto stats = (*reader)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->chunks, 40);
}

// Loading hnsw.bin leaves the graph's label table unread (a search does not
// need it, and reading it touches the whole file); a write after loading must
// read it first, or it would add the loaded rows a second time, bring deleted
// ones back or lose the deleted count.
TEST_F(LocalVectorIndexTest, AWriteAfterLoadingTheGraphAddsOnlyNewRows) {
  const std::string bin = dir_.Join("index/hnsw.bin");
  // The element count in hnswlib's saved header: the third size_t.
  auto saved_elements = [&] {
    std::string data = testing::ReadFile(bin);
    size_t count = 0;
    if (data.size() >= 3 * sizeof(size_t)) std::memcpy(&count, data.data() + 2 * sizeof(size_t), sizeof count);
    return count;
  };
  std::vector<IndexedChunk> kept = Chunks("kept", "v1", 40, "granite");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("kept", "v1", kept).ok());
    ASSERT_TRUE(index->ReplaceDocument("gone", "v1", Chunks("gone", "v1", 40, "basalt")).ok());
    ASSERT_TRUE(index->DeleteDocument("gone").ok());
  }
  ASSERT_EQ(saved_elements(), 80u);
  std::vector<IndexedChunk> added = Chunks("added", "v1", 40, "marble");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    // A search first: the graph is loaded from hnsw.bin, its labels unread.
    auto hits = Run(*index, Query(SearchMode::kVector, "", kept[5].vector, 200));
    ASSERT_EQ(hits.size(), 40u) << "deleted rows stay out";
    EXPECT_EQ(hits[0].chunk.chunk_id, "kept:v1:5");
    ASSERT_TRUE(index->ReplaceDocument("added", "v1", added).ok());
    hits = Run(*index, Query(SearchMode::kVector, "", added[7].vector, 200));
    ASSERT_EQ(hits.size(), 80u);
    EXPECT_EQ(hits[0].chunk.chunk_id, "added:v1:7");
    std::set<std::string> ids;
    for (const auto& h : hits) {
      EXPECT_NE(h.chunk.document_id, "gone");
      EXPECT_TRUE(ids.insert(h.chunk.chunk_id).second) << h.chunk.chunk_id << " twice";
    }
  }
  EXPECT_EQ(saved_elements(), 120u) << "the 80 loaded rows (40 deleted) and 40 new ones, none twice";
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    auto hits = Run(*index, Query(SearchMode::kVector, "", added[7].vector, 200));
    ASSERT_EQ(hits.size(), 80u);
    EXPECT_EQ(hits[0].chunk.chunk_id, "added:v1:7");
  }
}

// Issue 17: a loaded graph answers its first searches from hnsw.bin,
// reading only the elements they visit (HnswFile), then is read into memory.
// Both give what the graph gave before it was saved; a file cut short under a
// search from it is an error naming it, not a crash.
TEST_F(LocalVectorIndexTest, ALoadedGraphSearchesFromTheFileThenFromMemory) {
  const std::string bin = dir_.Join("index/hnsw.bin");
  // Queries at several k (k = 40 above ef_search = 16: max(ef, k) is used).
  std::vector<std::pair<std::vector<float>, int>> queries;
  for (int i = 0; i < 8; ++i) {
    for (int k : {1, 10, 40}) queries.push_back({RandomUnit(8, rng_), k});
  }
  std::vector<std::vector<SearchHit>> before;
  {
    auto index = Open(8, 16);
    ASSERT_NE(index, nullptr);
    for (int d = 0; d < 8; ++d) {
      const std::string id = fmt::format("d{}", d);
      ASSERT_TRUE(index->ReplaceDocument(id, "v1", Chunks(id, "v1", 40, "slate")).ok());
    }
    ASSERT_TRUE(index->DeleteDocument("d2").ok());
    for (const auto& [q, k] : queries) before.push_back(Run(*index, Query(SearchMode::kVector, "", q, k)));
  }
  // The same ids and scores (1 - hnswlib's distance, to the bit) from the
  // file (HnswFile) as from hnswlib's own search in memory.
  auto same = [&](const std::vector<SearchHit>& a, const std::vector<SearchHit>& b) {
    ASSERT_EQ(Ids(a), Ids(b));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].score, b[i].score) << i;
  };
  {
    auto index = Open(8, 16, /*graph_file_searches=*/static_cast<int64_t>(queries.size()));
    ASSERT_NE(index, nullptr);
    for (size_t i = 0; i < queries.size(); ++i) {  // from the file
      same(Run(*index, Query(SearchMode::kVector, "", queries[i].first, queries[i].second)), before[i]);
    }
    for (size_t i = 0; i < queries.size(); ++i) {  // read into memory at the first of these
      same(Run(*index, Query(SearchMode::kVector, "", queries[i].first, queries[i].second)), before[i]);
    }
    // In memory now: the file no longer matters.
    ASSERT_EQ(::truncate(bin.c_str(), 200), 0);
    for (size_t i = 0; i < queries.size(); ++i) {
      same(Run(*index, Query(SearchMode::kVector, "", queries[i].first, queries[i].second)), before[i]);
    }
  }
  EXPECT_EQ(std::filesystem::file_size(bin), 200u) << "an unchanged graph is not saved again";
}

TEST_F(LocalVectorIndexTest, AGraphFileCutShortUnderASearchIsAnErrorNamingIt) {
  const std::string bin = dir_.Join("index/hnsw.bin");
  const std::vector<float> q = RandomUnit(8, rng_);
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("d", "v1", Chunks("d", "v1", 300, "slate")).ok());
  }
  auto index = Open(8, 64, /*graph_file_searches=*/1000);
  ASSERT_NE(index, nullptr);
  ASSERT_EQ(Run(*index, Query(SearchMode::kVector, "", q, 10)).size(), 10u);
  ASSERT_EQ(::truncate(bin.c_str(), 200), 0);  // in place: the open descriptor sees it
  auto hits = index->Search(Query(SearchMode::kVector, "", q, 10));
  ASSERT_FALSE(hits.ok());
  EXPECT_NE(hits.status().message().find(bin), std::string::npos) << hits.status().message();
}

TEST_F(LocalVectorIndexTest, StaleGraphFileCatchesUp) {
  std::vector<float> q = RandomUnit(8, rng_);
  auto first = Open();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->ReplaceDocument("old", "v1", Chunks("old", "v1", 20, "aaa")).ok());
  first.reset();  // hnsw.bin now reflects "old"
  // A second instance holds the graph file open while another writes: the
  // file it reopens later is older than the database.
  auto writer = Open();
  ASSERT_NE(writer, nullptr);
  auto fresh = Chunks("new", "v1", 20, "bbb");
  ASSERT_TRUE(writer->ReplaceDocument("new", "v1", fresh).ok());
  ASSERT_TRUE(writer->DeleteDocument("old").ok());
  auto reader = Open();  // loads the stale hnsw.bin, then applies the log
  ASSERT_NE(reader, nullptr);
  auto hits = Run(*reader, Query(SearchMode::kVector, "", fresh[3].vector, 20));
  ASSERT_EQ(hits.size(), 20u);
  EXPECT_EQ(hits[0].chunk.chunk_id, "new:v1:3");
  for (const auto& h : hits) EXPECT_EQ(h.chunk.document_id, "new");
}

TEST_F(LocalVectorIndexTest, TwoInstancesSeeEachOthersWrites) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto x1 = Chunks("x", "v1", 6, "comet");
  ASSERT_TRUE(a->ReplaceDocument("x", "v1", x1).ok());
  auto hits = Run(*b, Query(SearchMode::kVector, "", x1[2].vector, 1));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.chunk_id, "x:v1:2");
  EXPECT_EQ(Run(*b, Query(SearchMode::kKeyword, "comet", {}, 10)).size(), 6u);

  auto x2 = Chunks("x", "v2", 2, "nebula");
  ASSERT_TRUE(b->ReplaceDocument("x", "v2", x2).ok());
  for (VectorIndex* idx : {a.get(), b.get()}) {
    auto vh = Run(*idx, Query(SearchMode::kVector, "", x1[2].vector, 10));
    EXPECT_EQ(Ids(vh).size(), 2u);
    for (const auto& h : vh) EXPECT_EQ(h.chunk.processing_version, "v2");
    EXPECT_TRUE(Run(*idx, Query(SearchMode::kKeyword, "comet", {}, 10)).empty());
    EXPECT_EQ(Run(*idx, Query(SearchMode::kKeyword, "nebula", {}, 10)).size(), 2u);
  }

  // Concurrent writers through both instances, readers in between.
  const int docs = testing::kAddressSanitizerBuild ? 8 : 20;
  auto write = [&](VectorIndex* idx, int start, std::mt19937 rng) {
    for (int d = start; d < docs; d += 2) {
      std::vector<IndexedChunk> chunks;
      std::string doc = "c";
      doc.append(std::to_string(d));  // not "c" + ...: GCC 12 -O3 misreads it (-Wrestrict)
      for (int v = 1; v <= 2; ++v) {
        chunks.clear();
        std::string ver = "v";
        ver.append(std::to_string(v));
        for (int i = 0; i < 5; ++i) chunks.push_back(MakeLocalChunk(doc, ver, i, "shared words", RandomUnit(8, rng)));
        EXPECT_TRUE(idx->ReplaceDocument(doc, ver, chunks).ok());
        EXPECT_TRUE(idx->Search(Query(SearchMode::kHybrid, "shared", RandomUnit(8, rng), 5)).ok());
      }
    }
  };
  std::thread ta(write, a.get(), 0, std::mt19937(1));
  std::thread tb(write, b.get(), 1, std::mt19937(2));
  ta.join();
  tb.join();
  for (VectorIndex* idx : {a.get(), b.get()}) {
    EXPECT_EQ(idx->Stats()->chunks, docs * 5 + 2);
    auto all = Run(*idx, Query(SearchMode::kVector, "", RandomUnit(8, rng_), docs * 5 + 2));
    EXPECT_EQ(all.size(), static_cast<size_t>(docs * 5 + 2));
    for (const auto& h : all) EXPECT_EQ(h.chunk.processing_version, "v2") << h.chunk.chunk_id;
  }
}

TEST_F(LocalVectorIndexTest, AnIndexMadeBeforePageLabelsGetsThemOnOpen) {
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("old", "v1", Chunks("old", "v1", 3, "basalt")).ok());
  }
  {  // As an older docpipe left it: no page-label table, not in schema_version.
    auto db = SqliteDb::Open(dir_.Join("index/index.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP TRIGGER chunk_page_labels_delete; DROP TABLE chunk_page_labels;"
                            " DELETE FROM schema_version WHERE component = 'vector_index_page_labels'")
                    .ok());
  }
  auto index = Open();
  ASSERT_NE(index, nullptr);
  std::vector<SearchHit> old_hits = Run(*index, Query(SearchMode::kKeyword, "basalt", {}, 5));
  ASSERT_EQ(old_hits.size(), 3u);  // old chunks still found, cited by their physical pages
  EXPECT_EQ(old_hits[0].chunk.page_label_start, "");
  std::vector<IndexedChunk> labelled = Chunks("new", "v1", 1, "granite");
  labelled[0].page_label_start = labelled[0].page_label_end = "xii";
  ASSERT_TRUE(index->ReplaceDocument("new", "v1", labelled).ok());
  std::vector<SearchHit> hits = Run(*index, Query(SearchMode::kKeyword, "granite", {}, 5));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.page_label_start, "xii");
  EXPECT_EQ(hits[0].chunk.page_label_end, "xii");
}

TEST_F(LocalVectorIndexTest, DimensionMismatch) {
  auto index = Open(8);
  ASSERT_NE(index, nullptr);
  std::vector<IndexedChunk> bad = {MakeLocalChunk("a", "v1", 0, "t", {1, 0, 0})};
  Status s = index->ReplaceDocument("a", "v1", bad);
  EXPECT_EQ(s.code(), Status::Code::kInvalidInput);
  EXPECT_NE(s.message().find("dimension 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("dimension 8"), std::string::npos) << s.message();
  EXPECT_EQ(index->Stats()->chunks, 0);

  auto q = index->Search(Query(SearchMode::kVector, "", {1, 0}, 3));
  EXPECT_EQ(q.status().code(), Status::Code::kInvalidInput);
  index.reset();

  LocalVectorIndexOptions o;
  o.directory = dir_.Join("index");
  o.dimension = 16;
  auto reopened = NewLocalVectorIndex(o);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(reopened.status().message().find("8"), std::string::npos);
  EXPECT_NE(reopened.status().message().find("16"), std::string::npos);
}

TEST_F(LocalVectorIndexTest, RejectsBadChunks) {
  auto index = Open();
  ASSERT_NE(index, nullptr);
  auto c = Chunks("a", "v1", 2, "x");
  c[1].chunk_id = c[0].chunk_id;
  EXPECT_EQ(index->ReplaceDocument("a", "v1", c).code(), Status::Code::kInvalidInput);
  c = Chunks("a", "v1", 1, "x");
  c[0].vector[0] = NAN;
  EXPECT_EQ(index->ReplaceDocument("a", "v1", c).code(), Status::Code::kInvalidInput);
  c = Chunks("a", "v1", 1, "x");
  EXPECT_EQ(index->ReplaceDocument("b", "v1", c).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(index->ReplaceDocument("a", "v9", c).code(), Status::Code::kInvalidInput);
  // A chunk id owned by another document is a conflict, and nothing changes.
  ASSERT_TRUE(index->ReplaceDocument("a", "v1", c).ok());
  auto stolen = c;
  stolen[0].document_id = "z";
  EXPECT_TRUE(index->ReplaceDocument("z", "v1", stolen).IsConflict());
  EXPECT_EQ(index->Stats()->documents, 1);
  EXPECT_EQ(index->Search(Query(SearchMode::kHybrid, "x", {}, 0)).status().code(), Status::Code::kInvalidInput);
}

TEST_F(LocalVectorIndexTest, KeywordQueryWithFtsSyntaxIsSafe) {
  auto index = Open();
  ASSERT_NE(index, nullptr);
  ASSERT_TRUE(index->ReplaceDocument("a", "v1", Chunks("a", "v1", 3, "quantum entanglement experiment")).ok());
  ASSERT_TRUE(index->ReplaceDocument("b", "v1", Chunks("b", "v1", 3, "classical mechanics lecture")).ok());
  for (const std::string q : {"\"quantum", "quantum AND", "quantum*", "(quantum", "NEAR(quantum", "quantum OR",
                              "-quantum", "text:quantum", "^quantum", "quantum NOT", "'quantum'", "“quantum”",
                              "quantum\"\"\"", "{quantum}", "quantum)"}) {
    auto hits = index->Search(Query(SearchMode::kKeyword, q, {}, 10));
    ASSERT_TRUE(hits.ok()) << q << ": " << hits.status().ToString();
    EXPECT_EQ(hits->size(), 3u) << q;
    for (const auto& h : *hits) EXPECT_EQ(h.chunk.document_id, "a") << q;
  }
  for (const std::string q : {"", "   ", "\"", "()", "*", "NEAR(", "AND OR NOT", "-", "“”", "!?"}) {
    auto hits = index->Search(Query(SearchMode::kKeyword, q, {}, 10));
    ASSERT_TRUE(hits.ok()) << q << ": " << hits.status().ToString();
    // Operator words are plain words here; none of these occurs in the text.
    EXPECT_TRUE(hits->empty()) << q;
    auto hybrid = index->Search(Query(SearchMode::kHybrid, q, {}, 10));
    ASSERT_TRUE(hybrid.ok()) << q << ": " << hybrid.status().ToString();
    EXPECT_TRUE(hybrid->empty());
  }
  // Words match across fields and with stemming; -bm25 is positive, best first.
  auto hits = Run(*index, Query(SearchMode::kKeyword, "experiments lectures", {}, 10));
  EXPECT_EQ(hits.size(), 6u);
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_GT(hits[i].score, 0);
    EXPECT_EQ(hits[i].keyword_rank, static_cast<int>(i + 1));
    if (i > 0) {
      EXPECT_GE(hits[i - 1].score, hits[i].score);
    }
  }
  EXPECT_EQ(Run(*index, Query(SearchMode::kKeyword, "phrase2", {}, 10)).size(), 2u) << "key phrases are indexed";
  EXPECT_EQ(Run(*index, Query(SearchMode::kKeyword, "guide", {}, 10)).size(), 6u) << "breadcrumbs are indexed";
}

TEST_F(LocalVectorIndexTest, DocumentFilter) {
  auto index = Open();
  ASSERT_NE(index, nullptr);
  for (int d = 0; d < 6; ++d) {
    std::string doc = fmt::format("d{}", d);
    ASSERT_TRUE(index->ReplaceDocument(doc, "v1", Chunks(doc, "v1", 20, "common term")).ok());
  }
  std::vector<float> q = RandomUnit(8, rng_);
  for (SearchMode mode : {SearchMode::kVector, SearchMode::kKeyword, SearchMode::kHybrid}) {
    auto hits = Run(*index, Query(mode, "common", q, 10, "d4"));
    ASSERT_EQ(hits.size(), 10u) << static_cast<int>(mode);
    for (const auto& h : hits) EXPECT_EQ(h.chunk.document_id, "d4");
    EXPECT_TRUE(Run(*index, Query(mode, "common", q, 10, "nope")).empty());
  }
  // Exact within the document: the best of d4's own vectors.
  auto hits = Run(*index, Query(SearchMode::kVector, "", q, 20, "d4"));
  ASSERT_EQ(hits.size(), 20u);
  for (size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
}

TEST_F(LocalVectorIndexTest, DocumentFilterOnLargeDocumentUsesGraph) {
  // Documents above the exact-scan threshold (4,096 chunks) go through the
  // graph with a growing candidate list; it must still fill k.
  const int n = 4200;
  auto index = Open(8);
  ASSERT_NE(index, nullptr);
  for (const std::string doc : {"big1", "big2"}) {
    ASSERT_TRUE(index->ReplaceDocument(doc, "v1", Chunks(doc, "v1", n, "w")).ok());
  }
  for (int i = 0; i < 5; ++i) {
    auto hits = Run(*index, Query(SearchMode::kVector, "", RandomUnit(8, rng_), 50, "big2"));
    ASSERT_EQ(hits.size(), 50u);
    for (const auto& h : hits) EXPECT_EQ(h.chunk.document_id, "big2");
  }
}

// Issue 17: a hybrid search asks the graph for its neighbours of the query on
// a thread of its own, beside the keyword leg and before its snapshot brings
// the graph up to date. Neighbours from a graph that then caught up with
// another instance's writes are asked again: a chunk added there is found by
// its vector alone, and a deleted one is never fused. A graph at the
// snapshot's generation is trusted to hold only the snapshot's labels.
TEST_F(LocalVectorIndexTest, AHybridSearchUsesTheGraphCaughtUpWithAnotherInstancesWrites) {
  auto a = Open(4);
  auto b = Open(4);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const std::vector<float> q = {0.6f, 0.8f, 0, 0};
  std::vector<IndexedChunk> old = {MakeLocalChunk("old", "v1", 0, "meadow river", q),
                                   MakeLocalChunk("old", "v1", 1, "meadow hill", {0.8f, 0.6f, 0, 0})};
  std::vector<IndexedChunk> fillers;
  for (int i = 0; i < 6; ++i) fillers.push_back(MakeLocalChunk("f", "v1", i, "grass water", {-1, 0, 0.1f * (i + 1), 0}));
  ASSERT_TRUE(a->ReplaceDocument("old", "v1", old).ok());
  ASSERT_TRUE(a->ReplaceDocument("f", "v1", fillers).ok());
  auto before = Run(*b, Query(SearchMode::kHybrid, "meadow", q, 3));  // b's graph now holds "old"
  ASSERT_FALSE(before.empty());
  EXPECT_EQ(before[0].chunk.chunk_id, "old:v1:0");

  ASSERT_TRUE(a->DeleteDocument("old").ok());
  ASSERT_TRUE(a->ReplaceDocument("new", "v1", {MakeLocalChunk("new", "v1", 0, "pebble", q)}).ok());
  for (int round = 0; round < 2; ++round) {  // catching up, then caught up
    auto hits = Run(*b, Query(SearchMode::kHybrid, "meadow", q, 10));
    ASSERT_FALSE(hits.empty()) << round;
    EXPECT_EQ(hits[0].chunk.chunk_id, "new:v1:0") << round;
    EXPECT_EQ(hits[0].vector_rank, 1) << round;
    EXPECT_EQ(hits[0].keyword_rank, 0) << round;
    for (const auto& h : hits) EXPECT_NE(h.chunk.document_id, "old") << round << " " << h.chunk.chunk_id;
    // Vector ranks of the fused hits are 1..7 (new and the fillers): no
    // deleted label took a rank.
    std::set<int> ranks;
    for (const auto& h : hits) ranks.insert(h.vector_rank);
    EXPECT_EQ(ranks, (std::set<int>{1, 2, 3, 4, 5, 6, 7})) << round;
  }
  // The same hits as a vector search and a keyword search fused by hand.
  auto vec = Run(*b, Query(SearchMode::kVector, "", q, 50));
  EXPECT_EQ(vec.size(), 7u);
  EXPECT_TRUE(Run(*b, Query(SearchMode::kKeyword, "meadow", {}, 50)).empty());
  auto hyb = Run(*b, Query(SearchMode::kHybrid, "meadow", q, 50));
  EXPECT_EQ(Ids(hyb), Ids(vec));
}

TEST_F(LocalVectorIndexTest, HybridFusionOrder) {
  auto index = Open(4);
  ASSERT_NE(index, nullptr);
  // Vector ranks for query e1: c1 (1.0), c2 (0.99), c4 (0.71), c3 (0.0).
  // Keyword ranks for "lion": c3 (three times), c2 (short text), c4.
  std::vector<IndexedChunk> chunks = {
      MakeLocalChunk("h", "v1", 1, "zebra", {1, 0, 0, 0}),
      MakeLocalChunk("h", "v1", 2, "lion tiger", {0.99f, 0.14f, 0, 0}),
      MakeLocalChunk("h", "v1", 3, "lion lion lion", {0, 1, 0, 0}),
      MakeLocalChunk("h", "v1", 4, "giraffe lion savanna", {0.7f, 0.7f, 0, 0}),
  };
  for (auto& c : chunks) c.breadcrumbs.clear(), c.key_phrases.clear();
  ASSERT_TRUE(index->ReplaceDocument("h", "v1", chunks).ok());
  // Fillers without "lion" pointing away from the query (so a positive IDF).
  std::vector<IndexedChunk> fillers;
  for (int i = 0; i < 6; ++i) {
    fillers.push_back(MakeLocalChunk("f", "v1", i, "grass water", {-1, 0, 0.1f * (i + 1), 0}));
    fillers.back().breadcrumbs.clear();
    fillers.back().key_phrases.clear();
  }
  ASSERT_TRUE(index->ReplaceDocument("f", "v1", fillers).ok());

  auto vec = Run(*index, Query(SearchMode::kVector, "", {1, 0, 0, 0}, 4));
  EXPECT_EQ(Ids(vec), (std::vector<std::string>{"h:v1:1", "h:v1:2", "h:v1:4", "h:v1:3"}));
  auto kw = Run(*index, Query(SearchMode::kKeyword, "lion", {}, 4));
  EXPECT_EQ(Ids(kw), (std::vector<std::string>{"h:v1:3", "h:v1:2", "h:v1:4"}));

  // RRF (k=60): c2 = 2/62, c3 = 1/64 + 1/61, c4 = 2/63, c1 = 1/61.
  auto hyb = Run(*index, Query(SearchMode::kHybrid, "lion", {1, 0, 0, 0}, 4));
  ASSERT_EQ(Ids(hyb), (std::vector<std::string>{"h:v1:2", "h:v1:3", "h:v1:4", "h:v1:1"}));
  EXPECT_NEAR(hyb[0].score, 2.0 / 62, 1e-12);
  EXPECT_NEAR(hyb[1].score, 1.0 / 64 + 1.0 / 61, 1e-12);
  EXPECT_NEAR(hyb[2].score, 2.0 / 63, 1e-12);
  EXPECT_NEAR(hyb[3].score, 1.0 / 61, 1e-12);
  EXPECT_EQ(hyb[1].vector_rank, 4);
  EXPECT_EQ(hyb[1].keyword_rank, 1);
  EXPECT_EQ(hyb[3].vector_rank, 1);
  EXPECT_EQ(hyb[3].keyword_rank, 0);
}

}  // namespace
}  // namespace docpipe

namespace docpipe {
namespace {

// Issue 17, item 3: hnsw.bin and hnsw.gen replaced by 0-byte files made the
// next open rebuild the graph before answering (over 12 minutes at 231k
// chunks). Above `sync_rebuild_max_chunks` the graph is rebuilt in the
// background: searches answer at once from BM25, saying dense results are
// degraded, writes go on, and the rebuilt graph (caught up with them) is
// swapped in and saved whole. The test runs the background task itself.
TEST_F(LocalVectorIndexTest, DamagedGraphIsRebuiltInTheBackgroundWhileBm25Answers) {
  std::vector<IndexedChunk> pumps = Chunks("pumps", "v1", 40, "centrifugal pump impeller");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("pumps", "v1", pumps).ok());
    ASSERT_TRUE(index->ReplaceDocument("valves", "v1", Chunks("valves", "v1", 40, "gate valve seat")).ok());
  }
  const std::string bin = dir_.Join("index/hnsw.bin"), gen = dir_.Join("index/hnsw.gen");
  testing::WriteFile(bin, "");
  testing::WriteFile(gen, "");

  testing::FakeClock clock;
  testing::CapturingLogger logger;
  std::vector<std::function<void()>> tasks;
  LocalVectorIndexOptions o;
  o.directory = dir_.Join("index");
  o.dimension = 8;
  o.sync_rebuild_max_chunks = 10;
  o.logger = &logger;
  o.clock = &clock;
  o.run_in_background = [&](std::function<void()> task) { tasks.push_back(std::move(task)); };
  Result<VectorIndexPtr> opened = NewLocalVectorIndex(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  VectorIndex& index = **opened;

  // At once, from BM25: the keyword hits, no dense ranks, and the reason.
  for (SearchMode mode : {SearchMode::kVector, SearchMode::kHybrid}) {
    std::vector<SearchHit> hits = Run(index, Query(mode, "impeller", pumps[5].vector, 5));
    ASSERT_EQ(hits.size(), 5u);
    for (const SearchHit& h : hits) {
      EXPECT_EQ(h.chunk.document_id, "pumps");
      EXPECT_EQ(h.vector_rank, 0);
      EXPECT_GT(h.keyword_rank, 0);
    }
  }
  EXPECT_NE(index.DenseDegraded().find("rebuilt"), std::string::npos) << index.DenseDegraded();
  ASSERT_EQ(tasks.size(), 1u) << "one rebuild, started by the first search that needed the graph";
  ASSERT_EQ(logger.Lines("index_graph_rebuilding").size(), 1u);
  EXPECT_EQ(logger.Lines("index_graph_rebuilding")[0]["chunks"], 80);
  EXPECT_EQ(logger.Lines("search_dense_degraded").size(), 1u) << "logged once, not per search";

  // Writes go on meanwhile; the rebuilt graph catches up with them.
  std::vector<IndexedChunk> seals = Chunks("seals", "v1", 5, "mechanical seal");
  ASSERT_TRUE(index.ReplaceDocument("seals", "v1", seals).ok());
  ASSERT_TRUE(index.DeleteDocument("valves").ok());
  EXPECT_EQ(tasks.size(), 1u);

  clock.Advance(4'000);
  tasks[0]();  // the background thread's work
  EXPECT_EQ(index.DenseDegraded(), "");
  ASSERT_EQ(logger.Lines("index_graph_rebuilt").size(), 1u);
  EXPECT_EQ(logger.Lines("index_graph_rebuilt")[0]["duration_ms"], 4'000);
  for (const IndexedChunk& want : {pumps[5], seals[3]}) {
    std::vector<SearchHit> hits = Run(index, Query(SearchMode::kVector, "", want.vector, 3));
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].chunk.chunk_id, want.chunk_id) << "dense results are back";
    EXPECT_EQ(hits[0].vector_rank, 1);
    EXPECT_NEAR(hits[0].score, 1.0, 1e-4);
    for (const SearchHit& h : hits) EXPECT_NE(h.chunk.document_id, "valves") << "deleted while rebuilding";
  }
  EXPECT_EQ(tasks.size(), 1u);
  EXPECT_GT(std::filesystem::file_size(bin), 0u) << "the rebuilt graph is saved";
  EXPECT_EQ(testing::ReadFile(gen).substr(0, 12), "hnsw-gen-v1 ");

  // The next process loads the saved graph: no rebuild, dense at once.
  std::vector<std::function<void()>> later;
  o.run_in_background = [&](std::function<void()> task) { later.push_back(std::move(task)); };
  Result<VectorIndexPtr> reopened = NewLocalVectorIndex(o);
  ASSERT_TRUE(reopened.ok());
  std::vector<SearchHit> hits = Run(**reopened, Query(SearchMode::kVector, "", seals[3].vector, 1));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.chunk_id, seals[3].chunk_id);
  EXPECT_TRUE(later.empty());
}

// The index's own thread: a process that wrote waits for the rebuild when it
// closes, so the graph it leaves is whole; the next open loads it.
TEST_F(LocalVectorIndexTest, AWriterFinishesTheBackgroundRebuildOnClose) {
  std::vector<IndexedChunk> pumps = Chunks("pumps", "v1", 30, "pump");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("pumps", "v1", pumps).ok());
  }
  std::filesystem::remove(dir_.Join("index/hnsw.bin"));
  LocalVectorIndexOptions o;
  o.directory = dir_.Join("index");
  o.dimension = 8;
  o.sync_rebuild_max_chunks = 10;
  {
    Result<VectorIndexPtr> index = NewLocalVectorIndex(o);
    ASSERT_TRUE(index.ok());
    ASSERT_TRUE((*index)->ReplaceDocument("fans", "v1", Chunks("fans", "v1", 3, "fan")).ok());
  }  // joins the rebuild
  ASSERT_TRUE(std::filesystem::exists(dir_.Join("index/hnsw.bin")));
  std::vector<std::function<void()>> tasks;
  o.run_in_background = [&](std::function<void()> task) { tasks.push_back(std::move(task)); };
  Result<VectorIndexPtr> index = NewLocalVectorIndex(o);
  ASSERT_TRUE(index.ok());
  std::vector<SearchHit> hits = Run(**index, Query(SearchMode::kVector, "", pumps[7].vector, 1));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk.chunk_id, pumps[7].chunk_id);
  EXPECT_EQ(hits[0].vector_rank, 1);
  EXPECT_TRUE(tasks.empty()) << "the saved graph was whole and current";
}


// Schema 2 adds chunks.entities (the dashboard's chunk pages read them from
// the index): an index made before it gains the column on open, its old rows
// list with no entities, and search is unchanged.
TEST_F(LocalVectorIndexTest, ASchemaOneIndexGainsTheEntitiesColumn) {
  std::vector<IndexedChunk> chunks = Chunks("old", "v1", 3, "turbine blade");
  {
    auto index = Open();
    ASSERT_NE(index, nullptr);
    ASSERT_TRUE(index->ReplaceDocument("old", "v1", chunks).ok());
  }
  {
    auto db = SqliteDb::Open(dir_.Join("index/index.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("ALTER TABLE chunks DROP COLUMN entities").ok());
    ASSERT_TRUE((*db)->Exec("UPDATE schema_version SET version = 1 WHERE component = 'vector_index'").ok());
  }
  auto index = Open();
  ASSERT_NE(index, nullptr);
  Result<ChunkPage> page = index->ListChunks({.document_id = "old", .limit = 10});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->chunks.size(), 3u);
  EXPECT_TRUE(page->chunks[0].entities.empty());
  EXPECT_EQ(page->chunks[2].text, chunks[2].text);
  chunks[1].entities = {{"ORGANIZATION", "Acme"}};
  ASSERT_TRUE(index->ReplaceDocument("old", "v1", chunks).ok());
  page = index->ListChunks({.document_id = "old", .limit = 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->chunks[1].entities, chunks[1].entities);
  EXPECT_EQ(Run(*index, Query(SearchMode::kKeyword, "turbine", {}, 5)).size(), 3u);
}
}  // namespace
}  // namespace docpipe
