// libFuzzer target: FTS query building (src/index/fts_query.h). The oracle is
// SQLite itself: whatever the user typed, the expression built from it must
// be a valid FTS5 MATCH expression (or "", which callers skip).
#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "index/fts_query.h"

namespace {

sqlite3* FtsFuzzDatabase() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    if (sqlite3_open(":memory:", &d) != SQLITE_OK) std::abort();
    const char* setup =
        "CREATE VIRTUAL TABLE fts_fuzz USING fts5(text, tokenize='porter unicode61 remove_diacritics 2');"
        "INSERT INTO fts_fuzz(text) VALUES ('the quick brown fox'), ('naïve café 東京 data');";
    if (sqlite3_exec(d, setup, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
    return d;
  }();
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string expr = docpipe::BuildFtsMatchExpression(text, 1 + static_cast<int>(size % 40));
  if (expr.empty()) return 0;
  sqlite3* db = FtsFuzzDatabase();
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM fts_fuzz WHERE fts_fuzz MATCH ?", -1, &stmt, nullptr) != SQLITE_OK) {
    std::abort();
  }
  sqlite3_bind_text(stmt, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW) {
    std::fprintf(stderr, "fts_query: MATCH '%s' failed: %s\n", expr.c_str(), sqlite3_errmsg(db));
    std::abort();
  }
  sqlite3_finalize(stmt);
  return 0;
}
