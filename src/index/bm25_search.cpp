#include "index/bm25_search.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include <sqlite3.h>

#include <fmt/format.h>

#include "index/fts_query.h"

namespace docpipe {

const char* const kTermStatisticsSchema = R"sql(
CREATE TABLE IF NOT EXISTS term_documents (
  term      TEXT PRIMARY KEY,   -- as chunks_fts's tokenizer makes it (fts5vocab's term)
  documents INTEGER NOT NULL    -- rows of chunks_fts holding it
) WITHOUT ROWID;
)sql";

namespace {

// FTS5's bm25() constants (fts5_aux.c), so that scores match it.
constexpr double kBm25K1 = 1.2;
constexpr double kBm25B = 0.75;
constexpr double kBm25IdfFloor = 1e-6;
// Column weights: text, breadcrumbs, key_phrases.
constexpr const char* kBm25ColumnWeights = "1.0, 0.5, 1.0";
// index_meta keys: the rows when term_documents was computed, and the rows
// changed since.
constexpr const char* kStatsRowsKey = "term_stats_rows";
constexpr const char* kStatsChangesKey = "term_stats_changes";
// Below this many rows a search scores every row holding a word: at most
// ~1 us a row (bench/search), cheaper than keeping statistics (a scan of the
// FTS index: 20-40 ms for a 3,000-chunk manual).
constexpr int64_t kMinRowsForStatistics = 5000;
// term_documents lists terms in at least 1/kListedShare of the rows.
constexpr int64_t kListedShare = 100;
// Words in at least 1/kScoringShare of the rows only score when they can:
// rarer ones find rows too (ruling them out seldom pays for a second query).
constexpr int64_t kScoringShare = 20;
// Statistics are stale once changes reach 1/kStaleShare of their rows.
constexpr int64_t kStaleShare = 8;
// Vocabulary rows read between looks at a refresh's cancel flag.
constexpr int kRefreshCancelCheckTerms = 64;
// chunks_fts's tokenizer, as its CREATE VIRTUAL TABLE names it
// ('porter unicode61 remove_diacritics 2', local_vector_index.cpp).
constexpr const char* kChunksFtsTokenizer = "porter";
constexpr const char* kChunksFtsTokenizerArgs[] = {"unicode61", "remove_diacritics", "2"};

double Bm25Idf(int64_t rows, int64_t documents) {
  const double idf = std::log((static_cast<double>(rows) - static_cast<double>(documents) + 0.5) /
                              (static_cast<double>(documents) + 0.5));
  return idf <= 0 ? kBm25IdfFloor : idf;
}

// ---- the docpipe_bm25 ranking function --------------------------------------

// Per query (FTS5 auxdata): the average row length, each phrase's idf, and
// a row's phrase frequencies.
struct Bm25QueryData {
  double average_tokens = 1;
  std::vector<double> idf;
  std::vector<double> frequency;
};

int CountPhraseRow(const Fts5ExtensionApi*, Fts5Context*, void* rows) {
  ++*static_cast<int64_t*>(rows);
  return SQLITE_OK;
}

// docpipe_bm25(chunks_fts, weight per column..., idf per phrase...): FTS5's
// bm25() with the idf of each phrase given, or NULL to count it as bm25()
// does (a pass over the phrase's rows); 0 leaves a phrase out of the score.
void Bm25Rank(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const int columns = api->xColumnCount(fts);
  const int phrases = api->xPhraseCount(fts);
  if (argc != columns + phrases) {
    sqlite3_result_error(ctx, "docpipe_bm25: wants one weight per column and one idf (or NULL) per phrase", -1);
    return;
  }
  auto* data = static_cast<Bm25QueryData*>(api->xGetAuxdata(fts, 0));
  if (data == nullptr) {
    auto fresh = std::make_unique<Bm25QueryData>();
    sqlite3_int64 rows = 0;
    sqlite3_int64 tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rows <= 0) rows = 1;
    fresh->average_tokens = static_cast<double>(tokens) / static_cast<double>(rows);
    for (int p = 0; p < phrases && rc == SQLITE_OK; ++p) {
      sqlite3_value* given = argv[columns + p];
      if (sqlite3_value_type(given) != SQLITE_NULL) {
        fresh->idf.push_back(sqlite3_value_double(given));
        continue;
      }
      int64_t hits = 0;
      rc = api->xQueryPhrase(fts, p, &hits, CountPhraseRow);
      fresh->idf.push_back(Bm25Idf(rows, hits));
    }
    if (rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
    fresh->frequency.assign(phrases, 0.0);
    data = fresh.get();
    // FTS5 owns it from here, and deletes it itself should this fail.
    rc = api->xSetAuxdata(fts, fresh.release(), [](void* p) { delete static_cast<Bm25QueryData*>(p); });
    if (rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
  }
  std::fill(data->frequency.begin(), data->frequency.end(), 0.0);
  int instances = 0;
  int rc = api->xInstCount(fts, &instances);
  for (int i = 0; i < instances && rc == SQLITE_OK; ++i) {
    int phrase = 0, column = 0, offset = 0;
    rc = api->xInst(fts, i, &phrase, &column, &offset);
    if (rc == SQLITE_OK) data->frequency[phrase] += sqlite3_value_double(argv[column]);
  }
  int row_tokens = 0;
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &row_tokens);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  const double norm = kBm25K1 * (1 - kBm25B + kBm25B * row_tokens / data->average_tokens);
  double score = 0;
  for (int p = 0; p < phrases; ++p) {
    const double f = data->frequency[p];
    score += data->idf[p] * (f * (kBm25K1 + 1)) / (f + norm);
  }
  sqlite3_result_double(ctx, -score);  // ascending, as bm25()
}

fts5_api* Fts5Api(SqliteDb& db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.native_handle(), "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  return api;
}

// ---- query planning ---------------------------------------------------------

struct IndexMetaValues {
  std::optional<int64_t> stats_rows;
  int64_t stats_changes = 0;
};

Result<IndexMetaValues> ReadTermStatisticsMeta(SqliteDb& db) {
  auto stmt = db.Prepare("SELECT key, value FROM index_meta WHERE key IN (?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, kStatsRowsKey).Bind(2, kStatsChangesKey);
  IndexMetaValues v;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (stmt->ColumnText(0) == kStatsRowsKey) v.stats_rows = stmt->ColumnInt(1);
    if (stmt->ColumnText(0) == kStatsChangesKey) v.stats_changes = stmt->ColumnInt(1);
  }
  return v;
}

Status SetIndexMeta(SqliteDb& db, const char* key, int64_t value) {
  auto stmt = db.Prepare(
      "INSERT INTO index_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, key).Bind(2, value).Run();
}

// A query word, with the rows holding it when term_documents lists it.
struct PlannedWord {
  std::string word;
  std::optional<int64_t> documents;
};

// One FTS5 query: `match`, its phrases' idf (nullopt: counted live) in order.
Result<std::vector<KeywordHit>> RunBm25Query(SqliteDb& db, const std::string& match,
                                             const std::vector<std::optional<double>>& idf, int n,
                                             const std::string& document_id) {
  std::string sql = fmt::format("SELECT rowid, docpipe_bm25(chunks_fts, {}", kBm25ColumnWeights);
  for (size_t i = 0; i < idf.size(); ++i) sql += ", ?";
  sql += ") AS s FROM chunks_fts WHERE chunks_fts MATCH ?";
  if (!document_id.empty()) sql += " AND rowid IN (SELECT label FROM chunks WHERE document_id = ?)";
  sql += " ORDER BY s, rowid LIMIT ?";
  auto stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  int p = 1;
  for (const std::optional<double>& v : idf) {
    if (v.has_value()) {
      stmt->Bind(p++, *v);
    } else {
      stmt->BindNull(p++);
    }
  }
  stmt->Bind(p++, match);
  if (!document_id.empty()) stmt->Bind(p++, document_id);
  stmt->Bind(p++, n);
  std::vector<KeywordHit> hits;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    hits.push_back({stmt->ColumnInt(0), -stmt->ColumnDouble(1)});
  }
  return hits;
}

std::vector<std::string> Words(const std::vector<PlannedWord>& planned) {
  std::vector<std::string> words;
  for (const PlannedWord& w : planned) words.push_back(w.word);
  return words;
}

// Each word's idf for a query: from term_documents when listed, else live.
std::vector<std::optional<double>> WordIdf(const std::vector<PlannedWord>& planned, int64_t rows) {
  std::vector<std::optional<double>> idf;
  for (const PlannedWord& w : planned) {
    idf.push_back(w.documents.has_value() ? std::optional<double>(Bm25Idf(rows, *w.documents)) : std::nullopt);
  }
  return idf;
}

// The tokenizer of chunks_fts, made once per search.
class QueryTokenizer {
 public:
  static Result<QueryTokenizer> Make(SqliteDb& db) {
    fts5_api* api = Fts5Api(db);
    if (api == nullptr) return Status::Internal(fmt::format("sqlite {}: FTS5 is not available", db.path()));
    QueryTokenizer t;
    void* context = nullptr;
    int rc = api->xFindTokenizer(api, kChunksFtsTokenizer, &context, &t.methods_);
    if (rc == SQLITE_OK) {
      Fts5Tokenizer* raw = nullptr;
      rc = t.methods_.xCreate(context, const_cast<const char**>(&kChunksFtsTokenizerArgs[0]),
                              static_cast<int>(std::size(kChunksFtsTokenizerArgs)), &raw);
      t.tokenizer_ = Handle(raw, Deleter{t.methods_.xDelete});
    }
    if (rc != SQLITE_OK) return db.Error(rc, "FTS5 tokenizer porter unicode61");
    return t;
  }

  Result<std::vector<std::string>> Tokens(const std::string& text) const {
    std::vector<std::string> tokens;
    int rc = methods_.xTokenize(tokenizer_.get(), &tokens, FTS5_TOKENIZE_QUERY, text.data(),
                                static_cast<int>(text.size()), &QueryTokenizer::Collect);
    if (rc != SQLITE_OK) return Status::Internal(fmt::format("FTS5 tokenizer: code {} on a query word", rc));
    return tokens;
  }

 private:
  static int Collect(void* tokens, int flags, const char* token, int size, int, int) {
    if ((flags & FTS5_TOKEN_COLOCATED) == 0) static_cast<std::vector<std::string>*>(tokens)->emplace_back(token, size);
    return SQLITE_OK;
  }
  struct Deleter {
    void (*destroy)(Fts5Tokenizer*);
    void operator()(Fts5Tokenizer* t) const {
      if (t != nullptr && destroy != nullptr) destroy(t);
    }
  };
  using Handle = std::unique_ptr<Fts5Tokenizer, Deleter>;

  fts5_tokenizer methods_{};
  Handle tokenizer_{nullptr, Deleter{nullptr}};
};

}  // namespace

Status CountTermStatisticsChanges(SqliteDb& writer, int64_t changed) {
  if (changed <= 0) return Status::Ok();
  auto stmt = writer.Prepare(
      "INSERT INTO index_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, kStatsChangesKey).Bind(2, changed).Run();
}

Result<bool> TermStatisticsDue(SqliteDb& writer) {
  auto meta = ReadTermStatisticsMeta(writer);
  if (!meta.ok()) return meta.status();
  if (!meta->stats_rows.has_value()) return true;
  // Small indexes are searched without statistics; recomputing them every
  // few hundred changes keeps them ready for when the index is not small.
  return meta->stats_changes * kStaleShare >= std::max(*meta->stats_rows, kMinRowsForStatistics);
}

Status RefreshTermStatistics(SqliteDb& writer, const std::atomic<bool>* cancel) {
  DOCPIPE_RETURN_IF_ERROR(
      writer.Exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_terms USING fts5vocab(main, chunks_fts, row)"));
  // The scan (seconds at millions of rows) reads one snapshot without the
  // write lock, so other processes' writes go on meanwhile; the changes they
  // commit stay counted against the new statistics.
  int64_t rows = 0;
  int64_t changes_seen = 0;
  std::vector<std::pair<std::string, int64_t>> listed;
  {
    DOCPIPE_RETURN_IF_ERROR(writer.Exec("BEGIN DEFERRED"));
    SqliteTransaction snapshot(&writer);  // rolled back (nothing to undo)
    auto count = writer.Prepare("SELECT count(*) FROM chunks");
    if (!count.ok()) return count.status();
    auto counted = count->Step();
    if (!counted.ok()) return counted.status();
    rows = count->ColumnInt(0);
    auto meta = ReadTermStatisticsMeta(writer);
    if (!meta.ok()) return meta.status();
    changes_seen = meta->stats_changes;
    if (rows >= kMinRowsForStatistics) {
      auto terms = writer.Prepare("SELECT term, doc FROM temp.chunks_fts_terms");
      if (!terms.ok()) return terms.status();
      for (int64_t seen = 0;; ++seen) {
        if (seen % kRefreshCancelCheckTerms == 0 && cancel != nullptr && cancel->load()) {
          return Status::Cancelled("index: term statistics refresh cancelled");
        }
        auto row = terms->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        const int64_t documents = terms->ColumnInt(1);
        if (documents * kListedShare >= rows) listed.emplace_back(terms->ColumnText(0), documents);
      }
    }
  }
  auto txn = writer.Begin();
  if (!txn.ok()) return txn.status();
  auto meta = ReadTermStatisticsMeta(writer);
  if (!meta.ok()) return meta.status();
  DOCPIPE_RETURN_IF_ERROR(writer.Exec("DELETE FROM term_documents"));
  auto insert = writer.Prepare("INSERT INTO term_documents (term, documents) VALUES (?, ?)");
  if (!insert.ok()) return insert.status();
  for (const auto& [term, documents] : listed) {
    insert->Reset();
    DOCPIPE_RETURN_IF_ERROR(insert->Bind(1, term).Bind(2, documents).Run());
  }
  DOCPIPE_RETURN_IF_ERROR(SetIndexMeta(writer, kStatsRowsKey, rows));
  DOCPIPE_RETURN_IF_ERROR(SetIndexMeta(writer, kStatsChangesKey, std::max<int64_t>(0, meta->stats_changes - changes_seen)));
  return txn->Commit();
}

Status RegisterBm25Function(SqliteDb& db) {
  fts5_api* api = Fts5Api(db);
  if (api == nullptr) return Status::Internal(fmt::format("sqlite {}: FTS5 is not available", db.path()));
  int rc = api->xCreateFunction(api, "docpipe_bm25", nullptr, Bm25Rank, nullptr);
  if (rc != SQLITE_OK) return db.Error(rc, "register docpipe_bm25");
  return Status::Ok();
}

Result<std::vector<std::string>> ChunksFtsQueryTokens(SqliteDb& db, const std::string& text) {
  auto tokenizer = QueryTokenizer::Make(db);
  if (!tokenizer.ok()) return tokenizer.status();
  return tokenizer->Tokens(text);
}

Result<std::vector<KeywordHit>> SearchBm25(SqliteDb& db, const std::string& text, int n,
                                           const std::string& document_id, Bm25SearchTrace* trace) {
  Bm25SearchTrace local;
  Bm25SearchTrace& t = trace != nullptr ? *trace : local;
  t = Bm25SearchTrace{};
  auto tokenizer = QueryTokenizer::Make(db);
  if (!tokenizer.ok()) return tokenizer.status();
  // Each word with its tokens; a word the tokenizer drops entirely ("™")
  // would be a phrase of nothing, which FTS5 leaves out of the phrase count.
  std::vector<std::pair<std::string, std::vector<std::string>>> words;
  for (std::string& word : FtsQueryWords(text)) {
    auto tokens = tokenizer->Tokens(word);
    if (!tokens.ok()) return tokens.status();
    if (!tokens->empty()) words.emplace_back(std::move(word), std::move(*tokens));
  }
  if (words.empty() || n <= 0) return std::vector<KeywordHit>{};
  auto meta = ReadTermStatisticsMeta(db);
  if (!meta.ok()) return meta.status();
  const int64_t rows = meta->stats_rows.value_or(0);
  const bool usable = rows >= kMinRowsForStatistics && meta->stats_changes * kStaleShare < rows;
  auto lookup = db.Prepare("SELECT documents FROM term_documents WHERE term = ?");
  if (!lookup.ok()) return lookup.status();
  std::vector<PlannedWord> kept;
  std::vector<PlannedWord> at_floor;
  for (auto& [word, tokens] : words) {
    PlannedWord planned{word, std::nullopt};
    if (usable && tokens.size() == 1) {  // a phrase of several tokens is rarer than each: counted live
      lookup->Reset();
      lookup->Bind(1, tokens.front());
      auto row = lookup->Step();
      if (!row.ok()) return row.status();
      if (*row) planned.documents = lookup->ColumnInt(0);
    }
    const bool floor = planned.documents.has_value() && *planned.documents * 2 >= rows;
    (floor ? at_floor : kept).push_back(std::move(planned));
  }
  auto run = [&](const std::string& match, const std::vector<std::optional<double>>& idf) {
    ++t.queries;
    return RunBm25Query(db, match, idf, n, document_id);
  };
  if (kept.empty()) {  // only words at the floor: rank by them all, as bm25() does
    kept = std::move(at_floor);
    at_floor.clear();
  }
  t.dropped_words = Words(at_floor);

  // Essential words find the rows: all but the common ones (at least one).
  // The common ones only score the rows found, as long as the n-th best
  // score shows that no row holding only them can be in the top n; while it
  // does not, the rarest of them becomes essential too.
  std::vector<PlannedWord> essential;
  std::vector<PlannedWord> scoring;
  for (PlannedWord& w : kept) {
    const bool common = w.documents.has_value() && *w.documents * kScoringShare >= rows;
    (common ? scoring : essential).push_back(std::move(w));
  }
  std::stable_sort(scoring.begin(), scoring.end(),
                   [](const PlannedWord& a, const PlannedWord& b) { return *a.documents < *b.documents; });
  if (essential.empty()) {
    essential.push_back(std::move(scoring.front()));
    scoring.erase(scoring.begin());
  }
  std::vector<PlannedWord> all = essential;
  all.insert(all.end(), scoring.begin(), scoring.end());
  const std::string all_match = FtsOrExpression(Words(all));
  const std::vector<std::optional<double>> all_idf = WordIdf(all, rows);
  for (size_t split = essential.size(); split < all.size(); ++split) {
    // The most the scoring words can add to a row: BM25's term score tends
    // to idf * (k1 + 1) as the term's frequency grows.
    double scoring_bound = 0;
    for (size_t i = split; i < all.size(); ++i) scoring_bound += *all_idf[i] * (kBm25K1 + 1);
    // Rows holding an essential word, scored with every word: the first
    // group's phrases repeat the second's and count 0.
    const std::vector<PlannedWord> finders(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(split));
    const std::string match = fmt::format("({}) AND ({})", FtsOrExpression(Words(finders)), all_match);
    std::vector<std::optional<double>> idf(split, 0.0);
    idf.insert(idf.end(), all_idf.begin(), all_idf.end());
    auto hits = run(match, idf);
    if (!hits.ok()) return hits.status();
    if (static_cast<int>(hits->size()) == n && hits->back().score > scoring_bound) {
      t.pruned = true;
      return hits;
    }
  }
  return run(all_match, all_idf);
}

}  // namespace docpipe
