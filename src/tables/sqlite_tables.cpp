#include "tables/sqlite_tables.h"

#include <mutex>
#include <random>

#include <fmt/format.h>

#include "common/sqlite_db.h"

namespace docpipe {
namespace {

// The columns beside `item` copy the attributes the DynamoDB key schema and
// GSIs use (docs/schema.md), so the same queries are index lookups here.
constexpr int kControlSchemaVersion = 1;
constexpr const char* kControlSchema = R"sql(
CREATE TABLE IF NOT EXISTS control (
  document_id        TEXT    NOT NULL,
  processing_version TEXT    NOT NULL,
  status             TEXT    NOT NULL,
  current_stage      TEXT    NOT NULL,
  updated_at         INTEGER NOT NULL,  -- epoch ms
  revision           INTEGER NOT NULL,
  item               TEXT    NOT NULL,  -- ToJson(ControlRecord)
  PRIMARY KEY (document_id, processing_version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS control_status_updated ON control (status, updated_at);
CREATE INDEX IF NOT EXISTS control_current_stage ON control (current_stage, updated_at);
)sql";

constexpr int kAuditSchemaVersion = 1;
constexpr const char* kAuditSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit (
  document_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,  -- ISO time '#' suffix: sorts by time
  item        TEXT NOT NULL,  -- ToJson(AuditEvent)
  PRIMARY KEY (document_id, event_id)
) WITHOUT ROWID;
)sql";

constexpr int kMetricsSchemaVersion = 1;
constexpr const char* kMetricsSchema = R"sql(
CREATE TABLE IF NOT EXISTS metrics (
  date   TEXT NOT NULL,  -- YYYY-MM-DD (UTC)
  metric TEXT NOT NULL,
  value  REAL NOT NULL,
  PRIMARY KEY (date, metric)
) WITHOUT ROWID;
)sql";

Result<std::unique_ptr<SqliteDb>> OpenWithSchema(const std::string& path, const std::string& component,
                                                 int version, const std::string& ddl) {
  auto db = SqliteDb::Open(path);
  if (!db.ok()) return db.status();
  DOCPIPE_RETURN_IF_ERROR((*db)->EnsureSchema(component, version, ddl));
  return db;
}

Result<ControlRecord> ParseItem(const std::string& item, int64_t revision, const std::string& where) {
  auto j = nlohmann::json::parse(item, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Internal(where + ": stored item is not valid JSON");
  auto rec = ControlRecordFromJson(j);
  if (!rec.ok()) return rec.status().Annotate(where);
  rec->revision = revision;  // the column is authoritative for the condition
  return rec;
}

class SqliteControlTable final : public ControlTable {
 public:
  explicit SqliteControlTable(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Create(ControlRecord& record) override {
    ControlRecord stored = record;
    stored.revision = 1;
    auto item = Serialize(stored);
    if (!item.ok()) return item.status();
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO control (document_id, processing_version, status, current_stage, updated_at,"
        " revision, item) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    Status s = stmt->Bind(1, stored.document_id)
                   .Bind(2, stored.processing_version)
                   .Bind(3, DocStatusName(stored.status))
                   .Bind(4, stored.current_stage)
                   .Bind(5, stored.updated_at)
                   .Bind(6, stored.revision)
                   .Bind(7, *item)
                   .Run();
    if (s.IsConflict()) return Status::Conflict("control record exists: " + Name(stored));
    DOCPIPE_RETURN_IF_ERROR(s);
    record.revision = stored.revision;
    return Status::Ok();
  }

  Result<ControlRecord> Get(const std::string& document_id, const std::string& version) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT item, revision FROM control WHERE document_id = ? AND processing_version = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id).Bind(2, version);
    return One(*stmt, document_id + "/" + version);
  }

  Result<ControlRecord> GetLatest(const std::string& document_id) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT item, revision FROM control WHERE document_id = ?"
        " ORDER BY processing_version DESC LIMIT 1");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id);
    return One(*stmt, document_id);
  }

  Status Update(ControlRecord& record) override {
    ControlRecord stored = record;
    stored.revision = record.revision + 1;
    auto item = Serialize(stored);
    if (!item.ok()) return item.status();
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "UPDATE control SET status = ?, current_stage = ?, updated_at = ?, revision = ?, item = ?"
        " WHERE document_id = ? AND processing_version = ? AND revision = ?");
    if (!stmt.ok()) return stmt.status();
    DOCPIPE_RETURN_IF_ERROR(stmt->Bind(1, DocStatusName(stored.status))
                                .Bind(2, stored.current_stage)
                                .Bind(3, stored.updated_at)
                                .Bind(4, stored.revision)
                                .Bind(5, *item)
                                .Bind(6, stored.document_id)
                                .Bind(7, stored.processing_version)
                                .Bind(8, record.revision)
                                .Run());
    if (db_->Changes() == 1) {
      record.revision = stored.revision;
      return Status::Ok();
    }
    // Lost the condition: tell "absent" from "someone else wrote first".
    auto check = db_->Prepare("SELECT revision FROM control WHERE document_id = ? AND processing_version = ?");
    if (!check.ok()) return check.status();
    check->Bind(1, record.document_id).Bind(2, record.processing_version);
    auto row = check->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no control record " + Name(record));
    return Status::Conflict(fmt::format("control record {} is at revision {}, not {}", Name(record),
                                        check->ColumnInt(0), record.revision));
  }

  Result<std::vector<ControlRecord>> List(std::optional<DocStatus> status, int limit) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(status ? "SELECT item, revision FROM control WHERE status = ?1"
                                      " ORDER BY updated_at DESC LIMIT ?2"
                                    : "SELECT item, revision FROM control"
                                      " ORDER BY updated_at DESC LIMIT ?2");
    if (!stmt.ok()) return stmt.status();
    if (status) stmt->Bind(1, DocStatusName(*status));
    stmt->Bind(2, static_cast<int64_t>(limit > 0 ? limit : -1));  // SQLite: negative = no limit
    return All(*stmt, "list");
  }

  Result<std::vector<ControlRecord>> ListVersions(const std::string& document_id) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT item, revision FROM control WHERE document_id = ? ORDER BY processing_version ASC");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id);
    return All(*stmt, document_id);
  }

  Status Delete(const std::string& document_id, const std::string& version) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("DELETE FROM control WHERE document_id = ? AND processing_version = ?");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, document_id).Bind(2, version).Run();
  }

 private:
  static std::string Name(const ControlRecord& r) { return r.document_id + "/" + r.processing_version; }

  static Result<std::string> Serialize(const ControlRecord& r) {
    if (r.document_id.empty() || r.processing_version.empty()) {
      return Status::InvalidInput("control record needs document_id and processing_version");
    }
    std::string item = ToJson(r).dump();
    if (item.size() > kMaxItemBytes) {
      return Status::InvalidInput(
          fmt::format("control record {} is {} bytes, over the {} byte budget", Name(r), item.size(),
                      kMaxItemBytes));
    }
    return item;
  }

  static Result<ControlRecord> One(SqliteStatement& stmt, const std::string& what) {
    auto row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no control record " + what);
    return ParseItem(stmt.ColumnText(0), stmt.ColumnInt(1), "control record " + what);
  }

  static Result<std::vector<ControlRecord>> All(SqliteStatement& stmt, const std::string& what) {
    std::vector<ControlRecord> out;
    while (true) {
      auto row = stmt.Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      auto rec = ParseItem(stmt.ColumnText(0), stmt.ColumnInt(1), "control records " + what);
      if (!rec.ok()) return rec.status();
      out.push_back(std::move(*rec));
    }
  }

  std::mutex mu_;  // one connection, one statement at a time
  std::unique_ptr<SqliteDb> db_;
};

class SqliteAuditLog final : public AuditLog {
 public:
  explicit SqliteAuditLog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {
    std::random_device rd;
    next_suffix_ = static_cast<uint32_t>(rd());
  }

  Status Append(AuditEvent& event) override {
    if (event.document_id.empty()) return Status::InvalidInput("audit event needs document_id");
    const bool generate = event.event_id.empty();
    if (generate && event.time == 0) {
      return Status::InvalidInput("audit event for " + event.document_id + " needs time or event_id");
    }
    std::lock_guard lock(mu_);
    // A generated id can only collide with another writer's in the same
    // millisecond; a fresh suffix settles that.
    for (int attempt = 0;; ++attempt) {
      AuditEvent stored = event;
      if (generate) stored.event_id = FormatIso8601(event.time) + "#" + fmt::format("{:08x}", next_suffix_++);
      std::string item = ToJson(stored).dump();
      if (item.size() > kMaxItemBytes) {
        return Status::InvalidInput(fmt::format("audit event {} of {} is {} bytes, over the {} byte budget",
                                                event.event_type, event.document_id, item.size(), kMaxItemBytes));
      }
      auto stmt = db_->Prepare("INSERT INTO audit (document_id, event_id, item) VALUES (?, ?, ?)");
      if (!stmt.ok()) return stmt.status();
      Status s = stmt->Bind(1, stored.document_id).Bind(2, stored.event_id).Bind(3, item).Run();
      if (s.IsConflict() && generate && attempt < 3) {
        std::random_device rd;
        next_suffix_ = static_cast<uint32_t>(rd());
        continue;
      }
      if (s.IsConflict()) return Status::Conflict("audit event exists: " + stored.event_id);
      DOCPIPE_RETURN_IF_ERROR(s);
      event.event_id = stored.event_id;
      return Status::Ok();
    }
  }

  Result<std::vector<AuditEvent>> List(const std::string& document_id) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT item FROM audit WHERE document_id = ? ORDER BY event_id ASC");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id);
    std::vector<AuditEvent> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      auto j = nlohmann::json::parse(stmt->ColumnText(0), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) return Status::Internal("audit of " + document_id + ": stored item is not JSON");
      auto e = AuditEventFromJson(j);
      if (!e.ok()) return e.status().Annotate("audit of " + document_id);
      out.push_back(std::move(*e));
    }
  }

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  // Random start so writers differ; counting up keeps one writer's events
  // that share a millisecond in the order they were appended.
  uint32_t next_suffix_ = 0;
};

class SqliteMetricsTable final : public MetricsTable {
 public:
  explicit SqliteMetricsTable(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Add(const std::string& date, const std::string& metric, double delta) override {
    if (date.empty() || metric.empty()) return Status::InvalidInput("metric needs a date and a name");
    std::lock_guard lock(mu_);
    // One statement, so concurrent adders (threads or processes) never lose
    // an increment; mirrors DynamoDB's UpdateItem ADD.
    auto stmt = db_->Prepare(
        "INSERT INTO metrics (date, metric, value) VALUES (?, ?, ?)"
        " ON CONFLICT (date, metric) DO UPDATE SET value = value + excluded.value");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, date).Bind(2, metric).Bind(3, delta).Run();
  }

  Status Set(const std::string& date, const std::string& metric, double value) override {
    if (date.empty() || metric.empty()) return Status::InvalidInput("metric needs a date and a name");
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO metrics (date, metric, value) VALUES (?, ?, ?)"
        " ON CONFLICT (date, metric) DO UPDATE SET value = excluded.value");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, date).Bind(2, metric).Bind(3, value).Run();
  }

  Result<std::map<std::string, double>> GetDay(const std::string& date) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT metric, value FROM metrics WHERE date = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, date);
    std::map<std::string, double> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out[stmt->ColumnText(0)] = stmt->ColumnDouble(1);
    }
  }

  Result<std::vector<std::string>> ListDays() override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT DISTINCT date FROM metrics ORDER BY date ASC");
    if (!stmt.ok()) return stmt.status();
    std::vector<std::string> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(stmt->ColumnText(0));
    }
  }

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace

Result<ControlTablePtr> NewSqliteControlTable(const std::string& db_path) {
  auto db = OpenWithSchema(db_path, "control", kControlSchemaVersion, kControlSchema);
  if (!db.ok()) return db.status();
  return ControlTablePtr(std::make_unique<SqliteControlTable>(std::move(*db)));
}

Result<AuditLogPtr> NewSqliteAuditLog(const std::string& db_path) {
  auto db = OpenWithSchema(db_path, "audit", kAuditSchemaVersion, kAuditSchema);
  if (!db.ok()) return db.status();
  return AuditLogPtr(std::make_unique<SqliteAuditLog>(std::move(*db)));
}

Result<MetricsTablePtr> NewSqliteMetricsTable(const std::string& db_path) {
  auto db = OpenWithSchema(db_path, "metrics", kMetricsSchemaVersion, kMetricsSchema);
  if (!db.ok()) return db.status();
  return MetricsTablePtr(std::make_unique<SqliteMetricsTable>(std::move(*db)));
}

}  // namespace docpipe
