#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/sqlite_db.h"
#include "common/status.h"

namespace docpipe {

// Keyword search over index.db's chunks_fts, ranked by BM25.
//
// FTS5 keeps no document frequencies, so its bm25() ranks a query by scoring
// every row that holds any of the query's words: 250-330 ms at 250k chunks
// once one word is in most of them. index.db therefore keeps term_documents,
// the number of rows holding each term found in at least 1 % of them, which
// the writer recomputes once an eighth of the rows have changed
// (RefreshTermStatistics). With it, a search
//  * leaves out words in at least half of the rows, whose BM25 weight is at
//    its floor (FTS5 clamps idf to 1e-6), unless no other word is left: the
//    stopword rule of FtsQueryWords, learned from the index;
//  * finds rows by the rarer words and only scores the common ones in them
//    (MaxScore, Turtle and Flood 1995): when the n-th best score is above the
//    most the common words can add up to, no row holding only common words
//    belongs in the top n. Otherwise it scores every row holding any word.
// Scores are FTS5's bm25 (k1 1.2, b 0.75, the same column weights); a listed
// term's idf comes from term_documents, so it can lag by an eighth of the rows.

// DDL of term_documents: a schema component of index.db.
extern const char* const kTermStatisticsSchema;
constexpr int kTermStatisticsSchemaVersion = 1;

// Adds `changed` (rows inserted plus rows deleted) to the changes counted
// since the last refresh; inside the writer's transaction.
Status CountTermStatisticsChanges(SqliteDb& writer, int64_t changed);

// Whether term_documents is missing or stale enough to recompute.
Result<bool> TermStatisticsDue(SqliteDb& writer);

// Recomputes term_documents: a scan of the whole FTS index (0.85 s of CPU at
// 250k chunks) in a read transaction, then a short write one. Changes
// committed by others in between stay counted. Cancelled, it leaves the old
// statistics, which searches ignore once stale.
Status RefreshTermStatistics(SqliteDb& writer, const std::atomic<bool>* cancel = nullptr);

// Adds the docpipe_bm25 ranking function to a connection that searches.
Status RegisterBm25Function(SqliteDb& db);

struct KeywordHit {
  int64_t label = 0;
  double score = 0;  // BM25: larger is better
};

// What a search did (for tests and the benchmark's explanations).
struct Bm25SearchTrace {
  std::vector<std::string> dropped_words;  // in at least half of the rows
  bool pruned = false;                     // ranked from the rows of its rarer words alone
  int queries = 0;                         // FTS5 queries run
};

// The best `n` rows holding any word of `text`, by BM25 then label; only rows
// of `document_id` when it is not empty. Run inside a read transaction on a
// connection with RegisterBm25Function.
Result<std::vector<KeywordHit>> SearchBm25(SqliteDb& db, const std::string& text, int n,
                                           const std::string& document_id, Bm25SearchTrace* trace = nullptr);

// The tokens chunks_fts's tokenizer makes of `text` as a query ("Running" ->
// "run"): the terms term_documents and fts5vocab list.
Result<std::vector<std::string>> ChunksFtsQueryTokens(SqliteDb& db, const std::string& text);

}  // namespace docpipe
