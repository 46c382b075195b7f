#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace docpipe {

class SqliteDb;

// A prepared statement, finalized on destruction. Bind errors are remembered
// and reported by the next Step/Run so call sites can chain binds.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  //! Parameters are 1-based, as in sqlite3_bind_*.
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  SqliteStatement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  SqliteStatement& BindNull(int index);
  //! Binds raw bytes as a BLOB (copied).
  SqliteStatement& BindBlob(int index, const void* data, size_t size);

  //! true when a row is available, false when the statement is done.
  Result<bool> Step();
  //! Steps until done, discarding rows (INSERT/UPDATE/DELETE).
  Status Run();
  //! Rewinds to run again with new bindings.
  void Reset();

  //! Columns of the current row, 0-based.
  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;
  //! BLOB bytes, valid until the next Step/Reset; size 0 for NULL.
  std::string_view ColumnBlob(int col) const;

 private:
  SqliteStatement& CheckBind(int rc, int index);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
};

class SqliteTransaction;

// One SQLite connection in WAL mode with a 10 s busy timeout and foreign keys
// on. Not thread-safe by itself: adapters serialize access with a mutex.
class SqliteDb {
 public:
  //! Opens (creating when missing) the database at `path`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  // Only Open can make the key, so the constructor stays effectively private
  // while std::make_unique can still call it.
  class Key {
    friend class SqliteDb;
    Key() = default;
  };
  SqliteDb(Key, sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  //! Runs one or more statements that return no rows.
  Status Exec(const std::string& sql);
  Result<SqliteStatement> Prepare(const std::string& sql);
  //! BEGIN IMMEDIATE: takes the write lock up front so two writers never
  //! deadlock upgrading from a read (which in WAL fails without waiting).
  Result<SqliteTransaction> Begin();
  //! Brings `component` to schema `version`: when the file records an older
  //! version or none, runs `ddl` and records `version`, in one transaction;
  //! when it records `version`, does nothing (a read, no write lock). So any
  //! change to a component's DDL must bump its version, and `ddl` must work
  //! on every older schema as on an empty file. Internal when the file holds
  //! a newer version.
  Status EnsureSchema(const std::string& component, int version, const std::string& ddl);
  //! Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  const std::string& path() const { return path_; }
  //! The connection, for SQLite's extension interfaces (FTS5's fts5_api);
  //! owned by this object.
  sqlite3* native_handle() const { return db_; }

  //! The single place SQLite result codes become Status: BUSY/LOCKED ->
  //! Unavailable, CONSTRAINT -> Conflict, anything else -> Internal.
  Status Error(int rc, std::string_view context) const;

 private:
  // The version schema_version records for `component`; nullopt when none.
  Result<std::optional<int64_t>> StoredSchemaVersion(const std::string& component);

  sqlite3* db_;
  std::string path_;
};

// Guard for a BEGIN IMMEDIATE transaction: rolls back on destruction unless
// Commit() succeeded.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  ~SqliteTransaction();
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  Status Commit();

 private:
  SqliteDb* db_;  // null once committed or rolled back
};

}  // namespace docpipe
