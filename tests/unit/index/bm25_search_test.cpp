#include "index/bm25_search.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/sqlite_db.h"
#include "index/fts_query.h"
#include "index/local_vector_index.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

constexpr int kBm25Dimension = 4;

// An index of 6,000 chunks (statistics are used from 5,000 rows) whose words
// have known shares of the rows: "alpha" in all, "beta" in ~60 % (both at
// BM25's idf floor), "gamma" in ~25 % and "delta" in ~7 % (common: scoring
// only), r0..r99 in ~3 % each (listed, essential), u0..u999 in ~0.2 %
// (unlisted, counted live). Lengths and frequencies vary, so BM25's length
// normalisation and saturation both matter. Built once; each test works on a
// copy.
class Bm25SearchTest : public ::testing::Test {
 protected:
  static constexpr int kDocuments = 60;
  static constexpr int kChunksPerDocument = 100;
  static constexpr int kRows = kDocuments * kChunksPerDocument;

  static void SetUpTestSuite() {
    corpus_ = std::make_unique<testing::TempDir>();
    LocalVectorIndexOptions o;
    o.directory = corpus_->Join("index");
    o.dimension = kBm25Dimension;
    auto index = NewLocalVectorIndex(o);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> share(0, 1);
    std::uniform_int_distribution<int> tf(1, 4);
    std::uniform_int_distribution<int> filler_count(5, 60);
    auto repeat = [&](const std::string& w) {
      std::string s;
      for (int i = tf(rng); i > 0; --i) s += w + " ";
      return s;
    };
    for (int d = 0; d < kDocuments; ++d) {
      const std::string doc = fmt::format("doc{:02d}", d);
      std::vector<IndexedChunk> chunks;
      for (int i = 0; i < kChunksPerDocument; ++i) {
        IndexedChunk c;
        c.chunk_id = fmt::format("{}:v1:{}", doc, i);
        c.document_id = doc;
        c.processing_version = "v1";
        c.source_key = "input/" + doc + ".pdf";
        c.text = repeat("alpha");
        if (share(rng) < 0.60) c.text += repeat("beta");
        if (share(rng) < 0.25) c.text += repeat("gamma");
        if (share(rng) < 0.07) c.text += repeat("delta");
        for (int r = 0; r < 3; ++r) c.text += repeat(fmt::format("r{}", rng() % 100));
        for (int u = 0; u < 2; ++u) c.text += fmt::format("u{} ", rng() % 1000);
        for (int f = filler_count(rng); f > 0; --f) c.text += fmt::format("f{} ", rng() % 50);
        c.breadcrumbs = {fmt::format("r{}", rng() % 100)};
        c.key_phrases = {share(rng) < 0.1 ? "gamma ray" : "filler"};
        c.type = "text";
        c.language = "en";
        c.page_start = c.page_end = i + 1;
        c.vector.assign(kBm25Dimension, 0.0f);
        c.vector[rng() % kBm25Dimension] = 1.0f;
        chunks.push_back(std::move(c));
      }
      ASSERT_TRUE((*index)->ReplaceDocument(doc, "v1", chunks).ok());
    }
  }
  static void TearDownTestSuite() { corpus_.reset(); }

  void SetUp() override {
    ASSERT_NE(corpus_, nullptr);
    std::filesystem::copy(corpus_->Join("index"), dir_.Join("index"), std::filesystem::copy_options::recursive);
    auto db = SqliteDb::Open(dir_.Join("index/index.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(RegisterBm25Function(*db_).ok());
  }

  int64_t Scalar(const std::string& sql, const std::string& bind = "") {
    auto stmt = db_->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
    if (!stmt.ok()) return -1;
    if (!bind.empty()) stmt->Bind(1, bind);
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? stmt->ColumnInt(0) : -1;
  }

  // FTS5's own ranking: bm25() over `words` OR-ed, best first; only the
  // rows of `document` when not empty.
  std::vector<KeywordHit> Fts5Bm25(const std::vector<std::string>& words, int n, const std::string& document = "") {
    auto stmt = db_->Prepare(fmt::format(
        "SELECT rowid, bm25(chunks_fts, 1.0, 0.5, 1.0) AS s FROM chunks_fts WHERE chunks_fts MATCH ?1 {}"
        " ORDER BY s, rowid LIMIT ?2",
        document.empty() ? "" : "AND rowid IN (SELECT label FROM chunks WHERE document_id = ?3)"));
    EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
    std::vector<KeywordHit> hits;
    if (!stmt.ok()) return hits;
    stmt->Bind(1, FtsOrExpression(words)).Bind(2, n);
    if (!document.empty()) stmt->Bind(3, document);
    while (true) {
      auto row = stmt->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      hits.push_back({stmt->ColumnInt(0), -stmt->ColumnDouble(1)});
    }
    return hits;
  }

  std::vector<KeywordHit> Search(const std::string& text, int n, Bm25SearchTrace* trace = nullptr) {
    auto hits = SearchBm25(*db_, text, n, "", trace);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<KeywordHit>{};
  }

  static void ExpectSameRanking(const std::vector<KeywordHit>& got, const std::vector<KeywordHit>& want,
                                const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].label, want[i].label) << what << " at rank " << i + 1;
      EXPECT_NEAR(got[i].score, want[i].score, 1e-9 * std::max(1.0, std::fabs(want[i].score))) << what;
    }
  }

  static std::unique_ptr<testing::TempDir> corpus_;
  testing::TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
};

std::unique_ptr<testing::TempDir> Bm25SearchTest::corpus_;

TEST_F(Bm25SearchTest, TheWriterKeepsTermStatisticsOfItsWrites) {
  // The writes refreshed them on the way: not due, and they list the
  // common words with their row counts as of their last refresh.
  auto due = TermStatisticsDue(*db_);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_FALSE(*due);
  const int64_t stats_rows = Scalar("SELECT value FROM index_meta WHERE key = 'term_stats_rows'");
  EXPECT_GE(stats_rows, 5000);
  EXPECT_EQ(Scalar("SELECT documents FROM term_documents WHERE term = 'alpha'"), stats_rows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM term_documents WHERE term LIKE 'u%'"), 0);  // under 1 %

  // A change of an eighth of the rows makes them due.
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(CountTermStatisticsChanges(*db_, stats_rows / 8).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  due = TermStatisticsDue(*db_);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(*due);
  ASSERT_TRUE(RefreshTermStatistics(*db_).ok());
  EXPECT_EQ(Scalar("SELECT value FROM index_meta WHERE key = 'term_stats_rows'"), kRows);
  EXPECT_EQ(Scalar("SELECT value FROM index_meta WHERE key = 'term_stats_changes'"), 0);
  EXPECT_EQ(Scalar("SELECT documents FROM term_documents WHERE term = 'gamma'"),
            Scalar("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gamma'"));
}

TEST_F(Bm25SearchTest, RanksAsFts5Bm25OverTheWordsNotInHalfTheRows) {
  ASSERT_TRUE(RefreshTermStatistics(*db_).ok());  // current: idf as bm25() computes it
  const int64_t rows = Scalar("SELECT count(*) FROM chunks");
  int pruned = 0;
  for (const std::string query :
       {"alpha gamma r7", "beta delta u12", "gamma delta", "gamma delta r3 u5", "gamma r3", "alpha beta", "alpha",
        "delta", "u1 u2 u3", "gamma", "beta gamma delta", "r1 r2 gamma delta beta", "delta u7 r40"}) {
    // The words at BM25's idf floor, by live counts.
    std::vector<std::string> kept;
    std::vector<std::string> floor;
    for (const std::string& w : FtsQueryWords(query)) {
      const int64_t df = Scalar("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", "\"" + w + "\"");
      (df * 2 >= rows ? floor : kept).push_back(w);
    }
    if (kept.empty()) std::swap(kept, floor);
    for (int n : {10, 50}) {
      Bm25SearchTrace trace;
      std::vector<KeywordHit> got = Search(query, n, &trace);
      ExpectSameRanking(got, Fts5Bm25(kept, n), fmt::format("\"{}\" n={}", query, n));
      EXPECT_EQ(trace.dropped_words, floor) << query;
      if (trace.pruned) ++pruned;
    }
  }
  // MaxScore answered some of them from the rows of their rarer words alone,
  // and those answers are the ones above.
  EXPECT_GE(pruned, 4);
  Bm25SearchTrace trace;
  Search("gamma r3", 10, &trace);
  EXPECT_TRUE(trace.pruned);
  EXPECT_EQ(trace.queries, 1);
}

TEST_F(Bm25SearchTest, ADocumentsRowsRankAsFts5Bm25RanksThem) {
  ASSERT_TRUE(RefreshTermStatistics(*db_).ok());
  for (const std::string query : {"gamma r3", "alpha delta r9 u4", "gamma delta"}) {
    Bm25SearchTrace trace;
    auto got = SearchBm25(*db_, query, 5, "doc05", &trace);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    std::vector<std::string> kept = FtsQueryWords(query);
    kept.erase(std::remove(kept.begin(), kept.end(), "alpha"), kept.end());  // in every row
    ExpectSameRanking(*got, Fts5Bm25(kept, 5, "doc05"), query + " in doc05");
    EXPECT_FALSE(got->empty()) << query;
  }
}

TEST_F(Bm25SearchTest, ACancelledRefreshKeepsTheOldStatistics) {
  const int64_t stats_rows = Scalar("SELECT value FROM index_meta WHERE key = 'term_stats_rows'");
  const int64_t listed = Scalar("SELECT count(*) FROM term_documents");
  std::atomic<bool> cancel{true};
  Status s = RefreshTermStatistics(*db_, &cancel);
  EXPECT_EQ(s.code(), Status::Code::kCancelled) << s.ToString();
  EXPECT_EQ(Scalar("SELECT value FROM index_meta WHERE key = 'term_stats_rows'"), stats_rows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM term_documents"), listed);
  EXPECT_GT(listed, 0);
}

TEST_F(Bm25SearchTest, StaleStatisticsAreIgnored) {
  ASSERT_TRUE(RefreshTermStatistics(*db_).ok());
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(CountTermStatisticsChanges(*db_, kRows / 8).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  Bm25SearchTrace trace;
  std::vector<KeywordHit> got = Search("alpha gamma r7", 10, &trace);
  EXPECT_TRUE(trace.dropped_words.empty());
  EXPECT_FALSE(trace.pruned);
  EXPECT_EQ(trace.queries, 1);
  ExpectSameRanking(got, Fts5Bm25({"alpha", "gamma", "r7"}, 10), "stale");
}

TEST_F(Bm25SearchTest, TheRankingFunctionIsFts5Bm25WhenCountingLive) {
  auto stmt = db_->Prepare(
      "SELECT bm25(chunks_fts, 1.0, 0.5, 1.0), docpipe_bm25(chunks_fts, 1.0, 0.5, 1.0, NULL, NULL, NULL)"
      " FROM chunks_fts WHERE chunks_fts MATCH '\"gamma\" OR \"r3\" OR \"alpha\"'");
  ASSERT_TRUE(stmt.ok()) << stmt.status().ToString();
  int rows = 0;
  while (true) {
    auto row = stmt->Step();
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    if (!*row) break;
    ++rows;
    // The same sum; the order of its floating-point operations differs.
    ASSERT_NEAR(stmt->ColumnDouble(0), stmt->ColumnDouble(1), 1e-12 * std::fabs(stmt->ColumnDouble(0))) << "row " << rows;
  }
  EXPECT_EQ(rows, kRows);
  // A wrong number of arguments is an error, not a guess.
  auto bad = db_->Prepare(
      "SELECT docpipe_bm25(chunks_fts, 1.0, 0.5, 1.0, NULL) FROM chunks_fts WHERE chunks_fts MATCH 'gamma OR r3'");
  ASSERT_TRUE(bad.ok());
  auto row = bad->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("one idf (or NULL) per phrase"), std::string::npos) << row.status().ToString();
}

TEST_F(Bm25SearchTest, QueryWordsAreLookedUpAsTheIndexTokenizesThem) {
  auto tokens = ChunksFtsQueryTokens(*db_, "Running Café");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  EXPECT_EQ(*tokens, (std::vector<std::string>{"run", "cafe"}));
  // Every indexed term of a chunk is a token of its own words.
  ASSERT_TRUE(db_->Exec("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, chunks_fts, row)").ok());
  for (const std::string word : {"gamma", "ray", "filler", "r42"}) {
    auto t = ChunksFtsQueryTokens(*db_, word);
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->size(), 1u) << word;
    EXPECT_GT(Scalar("SELECT doc FROM temp.terms WHERE term = ?", t->front()), 0) << word;
  }
}

TEST_F(Bm25SearchTest, WordsWithoutTokensAreLeftOut) {
  ASSERT_TRUE(RefreshTermStatistics(*db_).ok());
  // "™" is a word to FtsQueryWords (non-ASCII) but no token to unicode61.
  ExpectSameRanking(Search("gamma \xE2\x84\xA2 r3", 10), Search("gamma r3", 10), "with a symbol");
  EXPECT_TRUE(Search("\xE2\x84\xA2", 10).empty());
}

}  // namespace
}  // namespace docpipe
