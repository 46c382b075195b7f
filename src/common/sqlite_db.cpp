#include "common/sqlite_db.h"

#include <chrono>
#include <thread>

#include <sqlite3.h>

#include <fmt/format.h>

namespace docpipe {

// ---- SqliteDb ---------------------------------------------------------------

Status SqliteDb::Error(int rc, std::string_view context) const {
  const char* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string text = fmt::format("sqlite {}: {}: {} (code {})", path_, context, msg, rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(std::move(text));
    case SQLITE_CONSTRAINT:
      return Status::Conflict(std::move(text));
    default:
      return Status::Internal(std::move(text));
  }
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  // sqlite3_open_v2 hands back a handle even on failure; own it either way.
  auto db = std::make_unique<SqliteDb>(Key(), raw, path);
  if (rc != SQLITE_OK) return db->Error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  // The busy timeout must be set before anything that takes a lock,
  // including the switch to WAL.
  sqlite3_busy_timeout(raw, 10'000);
  // Switching to WAL needs an exclusive lock, and SQLite may report BUSY
  // without consulting the busy handler when another process is opening the
  // same file at that moment; so retry for as long as the busy timeout.
  for (int waited_ms = 0;; waited_ms += 20) {
    Status wal = db->Exec("PRAGMA journal_mode=WAL");
    if (wal.ok()) break;
    if (wal.code() != Status::Code::kUnavailable || waited_ms >= 10'000) return wal;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // NORMAL is durable across process crashes in WAL mode; only an OS crash
  // can lose the last commits, which the at-least-once pipeline tolerates.
  DOCPIPE_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
  return db;
}

SqliteDb::~SqliteDb() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Status::Ok();
}

Result<SqliteStatement> SqliteDb::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "prepare " + sql);
  }
  return SqliteStatement(this, stmt);
}

Result<SqliteTransaction> SqliteDb::Begin() {
  DOCPIPE_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  return SqliteTransaction(this);
}

Result<std::optional<int64_t>> SqliteDb::StoredSchemaVersion(const std::string& component) {
  auto get = Prepare("SELECT version FROM schema_version WHERE component = ?");
  if (!get.ok()) return get.status();
  get->Bind(1, component);
  auto row = get->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(get->ColumnInt(0));
}

Status SqliteDb::EnsureSchema(const std::string& component, int version, const std::string& ddl) {
  // The common case, a workspace at this schema, reads one row and writes
  // nothing (no write lock, no WAL frame, no checkpoint on close): a reader
  // (status, search) opening the file while a long load holds the write lock
  // does not queue behind it for a lock it does not need. Any
  // failure here (no schema_version table yet) takes the path below.
  if (Result<std::optional<int64_t>> stored = StoredSchemaVersion(component); stored.ok() && *stored == version) {
    return Status::Ok();
  }
  auto txn = Begin();
  if (!txn.ok()) return txn.status();
  DOCPIPE_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS schema_version ("
           " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
  // Again under the write lock: another process may have just upgraded it.
  Result<std::optional<int64_t>> stored = StoredSchemaVersion(component);
  if (!stored.ok()) return stored.status();
  if (*stored && **stored > version) {
    return Status::Internal(fmt::format("sqlite {}: {} schema version {} is newer than this binary's {}", path_,
                                        component, **stored, version));
  }
  if (*stored && **stored == version) return Status::Ok();  // rolls back the empty transaction
  DOCPIPE_RETURN_IF_ERROR(Exec(ddl));
  auto put = Prepare(
      "INSERT INTO schema_version (component, version) VALUES (?, ?)"
      " ON CONFLICT (component) DO UPDATE SET version = excluded.version");
  if (!put.ok()) return put.status();
  DOCPIPE_RETURN_IF_ERROR(put->Bind(1, component).Bind(2, version).Run());
  return txn->Commit();
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

// ---- SqliteTransaction ------------------------------------------------------

SqliteTransaction::~SqliteTransaction() {
  // Best effort: a failed ROLLBACK leaves nothing better to do, and SQLite
  // rolls back by itself when the connection closes.
  if (db_ != nullptr) db_->Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  if (db_ == nullptr) return Status::Internal("sqlite: commit of a finished transaction");
  Status s = db_->Exec("COMMIT");
  if (s.ok()) db_ = nullptr;  // on failure the destructor rolls back
  return s;
}

// ---- SqliteStatement --------------------------------------------------------

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_status_(std::move(other.bind_status_)) {
  other.stmt_ = nullptr;
}

SqliteStatement& SqliteStatement::CheckBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = db_->Error(rc, fmt::format("bind parameter {} of {}", index, sqlite3_sql(stmt_)));
  }
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  return CheckBind(sqlite3_bind_int64(stmt_, index, value), index);
}

SqliteStatement& SqliteStatement::Bind(int index, double value) {
  return CheckBind(sqlite3_bind_double(stmt_, index, value), index);
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  return CheckBind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
                   index);
}

SqliteStatement& SqliteStatement::BindBlob(int index, const void* data, size_t size) {
  return CheckBind(sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT), index);
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  return CheckBind(sqlite3_bind_null(stmt_, index), index);
}

Result<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, sqlite3_sql(stmt_));
}

Status SqliteStatement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = Status::Ok();
}

int64_t SqliteStatement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

double SqliteStatement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::string_view SqliteStatement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
}

bool SqliteStatement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

}  // namespace docpipe
