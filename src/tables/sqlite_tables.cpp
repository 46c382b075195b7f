#include "tables/sqlite_tables.h"

#include <cmath>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "common/sqlite_db.h"

namespace docpipe {
namespace {

// The columns beside `item` copy the attributes the DynamoDB key schema and
// GSIs use (docs/schema.md), so the same queries are index lookups here.
constexpr int kControlSchemaVersion = 3;
constexpr const char* kControlTableSchema = R"sql(
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

-- control_latest (schema 2): the latest version of each document, with the
-- fields the documents list filters and sorts on, the overview adds up and
-- `docpipe status` shows (schema 3: retry_count, last_error), kept by the
-- triggers below in the same transaction as every write to control. The
-- documents list, the overview and status read it instead of finding (and
-- decoding) the latest version of every document on each call. It holds
-- nothing of its own: a new schema drops it and fills it again from control
-- (EnsureSchema runs this only for a workspace of an older schema).
DROP TRIGGER IF EXISTS control_latest_insert;
DROP TRIGGER IF EXISTS control_latest_update;
DROP TRIGGER IF EXISTS control_latest_delete;
DROP TABLE IF EXISTS control_latest;
CREATE TABLE control_latest (
  document_id        TEXT    NOT NULL PRIMARY KEY,
  processing_version TEXT    NOT NULL,
  status             TEXT    NOT NULL,
  current_stage      TEXT    NOT NULL,
  error_stage        TEXT    NOT NULL,
  updated_at         INTEGER NOT NULL,
  created_at         TEXT    NOT NULL,  -- ISO 8601, as in the item
  source_key         TEXT    NOT NULL,
  pages              INTEGER NOT NULL,
  chunks             INTEGER NOT NULL,
  retry_count        INTEGER NOT NULL,
  last_error         TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX control_latest_updated ON control_latest (updated_at, document_id);
CREATE INDEX control_latest_created ON control_latest (created_at, document_id);
CREATE INDEX control_latest_source ON control_latest (source_key, document_id);
CREATE INDEX control_latest_pages ON control_latest (pages, document_id);
CREATE INDEX control_latest_status ON control_latest (status, updated_at, document_id);
)sql";

// control_latest's columns after its key, and their values taken from a row
// `{0}` of control (the item's fields where control has no column).
constexpr const char* kLatestColumns =
    "status, current_stage, error_stage, updated_at, created_at, source_key, pages, chunks, retry_count, last_error";
constexpr const char* kLatestValues =
    "{0}.status, {0}.current_stage, coalesce(json_extract({0}.item, '$.error_stage'), ''), {0}.updated_at,"
    " coalesce(json_extract({0}.item, '$.created_at'), ''), coalesce(json_extract({0}.item, '$.source_key'), ''),"
    " coalesce(json_extract({0}.item, '$.page_count'), 0), coalesce(json_extract({0}.item, '$.chunk_count'), 0),"
    " coalesce(json_extract({0}.item, '$.retry_count'), 0), coalesce(json_extract({0}.item, '$.last_error'), '')";

std::string LatestValuesOf(std::string_view row) { return fmt::format(fmt::runtime(kLatestValues), row); }

// The control table's DDL: the table, then control_latest, its triggers and
// its filling from the rows already there.
std::string ControlSchema() {
  const std::string latest_of_new = LatestValuesOf("NEW");
  const std::string latest_of_c = LatestValuesOf("c");
  std::string excluded;  // "excluded.status, excluded.current_stage, ..."
  for (std::string_view rest = kLatestColumns; !rest.empty();) {
    const size_t comma = rest.find(", ");
    excluded += fmt::format("{}excluded.{}", excluded.empty() ? "" : ", ", rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  return std::string(kControlTableSchema) + fmt::format(R"sql(
CREATE TRIGGER control_latest_insert AFTER INSERT ON control BEGIN
  INSERT INTO control_latest (document_id, processing_version, {0})
    VALUES (NEW.document_id, NEW.processing_version, {1})
  ON CONFLICT (document_id) DO UPDATE SET (processing_version, {0}) = (excluded.processing_version, {2})
  WHERE excluded.processing_version >= control_latest.processing_version;
END;
CREATE TRIGGER control_latest_update AFTER UPDATE ON control BEGIN
  UPDATE control_latest SET ({0}) = ({1})
  WHERE document_id = NEW.document_id AND processing_version = NEW.processing_version;
END;
-- A deleted latest version hands over to the newest one left, if any.
CREATE TRIGGER control_latest_delete AFTER DELETE ON control BEGIN
  DELETE FROM control_latest WHERE document_id = OLD.document_id AND processing_version = OLD.processing_version;
  INSERT OR IGNORE INTO control_latest (document_id, processing_version, {0})
    SELECT c.document_id, c.processing_version, {3}
    FROM control c WHERE c.document_id = OLD.document_id ORDER BY c.processing_version DESC LIMIT 1;
END;
INSERT INTO control_latest (document_id, processing_version, {0})
  SELECT c.document_id, c.processing_version, {3}
  FROM control c
  WHERE c.processing_version = (SELECT max(m.processing_version) FROM control m WHERE m.document_id = c.document_id);
)sql",
                                                        kLatestColumns, latest_of_new, excluded, latest_of_c);
}

// Schema 2 adds audit_type_time to workspaces made before it (EnsureSchema
// runs the DDL only for an older schema).
constexpr int kAuditSchemaVersion = 2;
constexpr const char* kAuditSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit (
  document_id TEXT NOT NULL,
  event_id    TEXT NOT NULL,  -- ISO time '#' suffix: sorts by time
  item        TEXT NOT NULL,  -- ToJson(AuditEvent)
  PRIMARY KEY (document_id, event_id)
) WITHOUT ROWID;
-- AuditLog::Count: the events of one type over a time range (event_id
-- starts with the ISO time).
CREATE INDEX IF NOT EXISTS audit_type_time ON audit (json_extract(item, '$.event_type'), event_id);
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

  Result<DocumentListPage> ListDocuments(const DocumentListQuery& q) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateDocumentListQuery(q));
    Result<std::optional<DocumentCursor>> cursor = DecodeDocumentCursor(q);
    if (!cursor.ok()) return cursor.status();
    // Filters on control_latest (bound from ?1 on), then the cursor's bound,
    // then the order: each sort key has an index ending in document_id, so a
    // page is an index range, not a sort of every document.
    std::string where = " WHERE 1";
    std::vector<std::string> binds;
    if (q.status) {
      where += fmt::format(" AND l.status = ?{}", binds.size() + 1);
      binds.push_back(DocStatusName(*q.status));
    }
    if (!q.stage.empty()) {
      where += fmt::format(" AND (l.current_stage = ?{0} OR l.error_stage = ?{0})", binds.size() + 1);
      binds.push_back(q.stage);
    }
    if (!q.source_contains.empty()) {
      where += fmt::format(" AND instr(lower(l.source_key), lower(?{})) > 0", binds.size() + 1);
      binds.push_back(q.source_contains);
    }
    if (!q.document_ids.empty()) {
      where += " AND l.document_id IN (";
      for (size_t i = 0; i < q.document_ids.size(); ++i) {
        where += fmt::format("{}?{}", i ? ", " : "", binds.size() + 1);
        binds.push_back(q.document_ids[i]);
      }
      where += ")";
    }
    const char* column = DocumentSortName(q.sort);  // the sort names are the column names
    std::string page_where = where;
    if (*cursor) {
      page_where += fmt::format(" AND (l.{}, l.document_id) {} (?{}, ?{})", column, q.descending ? "<" : ">",
                                binds.size() + 1, binds.size() + 2);
    }
    const char* dir = q.descending ? "DESC" : "ASC";

    std::lock_guard lock(mu_);
    DocumentListPage page;
    {
      auto count = db_->Prepare("SELECT count(*) FROM control_latest l" + where);
      if (!count.ok()) return count.status();
      for (size_t i = 0; i < binds.size(); ++i) count->Bind(static_cast<int>(i + 1), binds[i]);
      auto row = count->Step();
      if (!row.ok()) return row.status();
      page.total = *row ? count->ColumnInt(0) : 0;
    }
    auto stmt = db_->Prepare(
        "SELECT c.item, c.revision FROM control_latest l"
        " JOIN control c ON c.document_id = l.document_id AND c.processing_version = l.processing_version" +
        page_where + fmt::format(" ORDER BY l.{0} {1}, l.document_id {1} LIMIT {2}", column, dir, q.limit + 1));
    if (!stmt.ok()) return stmt.status();
    for (size_t i = 0; i < binds.size(); ++i) stmt->Bind(static_cast<int>(i + 1), binds[i]);
    if (*cursor) {
      const DocumentCursor& cur = **cursor;
      const int at = static_cast<int>(binds.size() + 1);
      if (q.sort == DocumentListQuery::Sort::kCreated) {
        stmt->Bind(at, FormatIso8601(cur.sort_value.get<int64_t>()));  // stored as ISO text
      } else if (cur.sort_value.is_number_integer()) {
        stmt->Bind(at, cur.sort_value.get<int64_t>());
      } else {
        stmt->Bind(at, cur.sort_value.get<std::string>());
      }
      stmt->Bind(at + 1, cur.document_id);
    }
    Result<std::vector<ControlRecord>> rows = All(*stmt, "list");
    if (!rows.ok()) return rows.status();
    page.records = std::move(*rows);
    if (page.records.size() > static_cast<size_t>(q.limit)) {
      page.records.resize(q.limit);
      page.next_cursor = EncodeDocumentCursor(q, page.records.back());
    }
    return page;
  }

  Result<std::vector<ControlRow>> ListLatestRows(std::optional<DocStatus> status) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(fmt::format(
        "SELECT document_id, processing_version, status, current_stage, pages, chunks, retry_count, source_key,"
        " last_error, error_stage FROM control_latest{} ORDER BY document_id",
        status ? " WHERE status = ?" : ""));
    if (!stmt.ok()) return stmt.status();
    if (status) stmt->Bind(1, DocStatusName(*status));
    std::vector<ControlRow> rows;
    while (true) {
      auto step = stmt->Step();
      if (!step.ok()) return step.status();
      if (!*step) return rows;
      ControlRow& r = rows.emplace_back();
      r.document_id = stmt->ColumnText(0);
      r.processing_version = stmt->ColumnText(1);
      const std::string name = stmt->ColumnText(2);
      std::optional<DocStatus> parsed = ParseDocStatus(name);
      if (!parsed) {
        return Status::Internal(fmt::format("control record {}/{}: unknown status '{}'", r.document_id,
                                            r.processing_version, name));
      }
      r.status = *parsed;
      r.current_stage = stmt->ColumnText(3);
      r.page_count = stmt->ColumnInt(4);
      r.chunk_count = stmt->ColumnInt(5);
      r.retry_count = static_cast<int>(stmt->ColumnInt(6));
      r.source_key = stmt->ColumnText(7);
      r.last_error = stmt->ColumnText(8);
      r.error_stage = stmt->ColumnText(9);
    }
  }

  Result<ControlSummary> Summarize() override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT status, error_stage, current_stage, count(*), min(updated_at), sum(pages), sum(chunks)"
        " FROM control_latest GROUP BY 1, 2, 3");
    if (!stmt.ok()) return stmt.status();
    ControlSummary s = SummarizeLatest({});
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return s;
      const std::string status = stmt->ColumnText(0);
      const int64_t n = stmt->ColumnInt(3);
      s.by_status[status] += n;
      if (status == "FAILED") s.failed_by_stage[stmt->ColumnText(1)] += n;
      if (status == "IN_PROGRESS") s.in_progress_by_stage[stmt->ColumnText(2)] += n;
      if (status == "PENDING" && (s.oldest_pending_since == 0 || stmt->ColumnInt(4) < s.oldest_pending_since)) {
        s.oldest_pending_since = stmt->ColumnInt(4);
      }
      if (status == "COMPLETED") {
        s.pages += stmt->ColumnInt(5);
        s.chunks += stmt->ColumnInt(6);
      }
    }
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
    return Read(document_id, "", -1);
  }

  // A range of the primary key: the page and one more row, which says
  // whether another page follows.
  Result<AuditPage> ListPage(const AuditPageQuery& q) override {
    Result<std::string> after = DecodeAuditCursor(q);
    if (!after.ok()) return after.status();
    Result<std::vector<AuditEvent>> events = Read(q.document_id, *after, q.limit + 1);
    if (!events.ok()) return events.status();
    AuditPage page;
    page.events = std::move(*events);
    if (page.events.size() > static_cast<size_t>(q.limit)) {
      page.events.resize(q.limit);
      page.next_cursor = EncodeAuditCursor(q.document_id, page.events.back().event_id);
    }
    return page;
  }

  Result<std::vector<AuditCount>> Count(const AuditCountQuery& q) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateAuditCountQuery(q));
    const char* group = q.group_by == AuditCountQuery::GroupBy::kStage    ? "coalesce(json_extract(item, '$.stage'), '')"
                        : q.group_by == AuditCountQuery::GroupBy::kWorker ? "coalesce(json_extract(item, '$.worker_id'), '')"
                                                                          : "''";
    // The detail's name is checked by ValidateAuditCountQuery ([a-z_]+), so
    // it may stand in the JSON path.
    const std::string sum =
        q.sum_detail.empty() ? "0" : fmt::format("coalesce(json_extract(item, '$.details.{}'), 0)", q.sum_detail);
    // event_id starts with the ISO time of the event: the range is an index
    // range, and the time in ms comes from its first 23 characters.
    const std::string sql = fmt::format(
        "SELECT CASE WHEN ?4 > 0 THEN (ms - ?2) / ?4 ELSE 0 END AS b, grp, count(*), sum(val), max(ms) FROM ("
        " SELECT CAST(round((julianday(substr(event_id, 1, 23)) - 2440587.5) * 86400000.0) AS INTEGER) AS ms,"
        " {} AS grp, {} AS val FROM audit"
        " WHERE json_extract(item, '$.event_type') = ?1 AND event_id >= ?5 AND event_id < ?6)"
        " GROUP BY b, grp ORDER BY b, grp",
        group, sum);
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, q.event_type).Bind(2, q.since).Bind(4, q.bucket_ms);
    stmt->Bind(5, FormatIso8601(q.since)).Bind(6, FormatIso8601(q.until));
    std::vector<AuditCount> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      AuditCount c;
      c.bucket_start = q.since + stmt->ColumnInt(0) * q.bucket_ms;
      c.group = stmt->ColumnText(1);
      c.count = stmt->ColumnInt(2);
      c.sum = stmt->ColumnDouble(3);
      c.last_time = stmt->ColumnInt(4);
      out.push_back(std::move(c));
    }
  }

 private:
  //! The document's events after `after` (all when ""), at most `limit` (all when < 0), in event_id order.
  Result<std::vector<AuditEvent>> Read(const std::string& document_id, const std::string& after, int limit) {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT item FROM audit WHERE document_id = ? AND event_id > ? ORDER BY event_id ASC LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, document_id);
    stmt->Bind(2, after);
    stmt->Bind(3, static_cast<int64_t>(limit));
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

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
  // Random start so writers differ; counting up keeps one writer's events
  // that share a millisecond in the order they were appended.
  uint32_t next_suffix_ = 0;
};

class SqliteMetricsTable final : public MetricsTable {
 public:
  // SQLite would store NaN as NULL and add infinities: refused, as DynamoDB
  // refuses them, so a bad figure never poisons a day's counter.
  static Status CheckMetric(const std::string& date, const std::string& metric, double value) {
    if (date.empty() || metric.empty()) return Status::InvalidInput("metric needs a date and a name");
    if (!std::isfinite(value)) {
      return Status::InvalidInput(fmt::format("metric {} of {} is not a finite number", metric, date));
    }
    return Status::Ok();
  }

  explicit SqliteMetricsTable(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Add(const std::string& date, const std::string& metric, double delta) override {
    DOCPIPE_RETURN_IF_ERROR(CheckMetric(date, metric, delta));
    std::lock_guard lock(mu_);
    // One statement, so concurrent adders (threads or processes) never lose
    // an increment; mirrors DynamoDB's UpdateItem ADD.
    auto stmt = db_->Prepare(
        "INSERT INTO metrics (date, metric, value) VALUES (?, ?, ?)"
        " ON CONFLICT (date, metric) DO UPDATE SET value = value + excluded.value");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, date).Bind(2, metric).Bind(3, delta).Run();
  }

  // The marker row and the additions in one transaction, as DynamoDB's
  // TransactWriteItems: a fact already marked adds nothing.
  Status AddOnce(const std::string& date, const std::string& fact,
                 const std::map<std::string, double>& deltas) override {
    if (date.empty() || fact.empty()) return Status::InvalidInput("a counted fact needs a date and a name");
    for (const auto& [metric, delta] : deltas) DOCPIPE_RETURN_IF_ERROR(CheckMetric(date, metric, delta));
    std::lock_guard lock(mu_);
    auto txn = db_->Begin();
    if (!txn.ok()) return txn.status();
    auto mark = db_->Prepare("INSERT INTO metrics (date, metric, value) VALUES (?, ?, 1) ON CONFLICT DO NOTHING");
    if (!mark.ok()) return mark.status();
    DOCPIPE_RETURN_IF_ERROR(mark->Bind(1, date + kCountedDateSuffix).Bind(2, fact).Run());
    if (db_->Changes() == 0) return Status::Ok();  // counted before; the guard rolls back
    for (const auto& [metric, delta] : deltas) {
      auto add = db_->Prepare(
          "INSERT INTO metrics (date, metric, value) VALUES (?, ?, ?)"
          " ON CONFLICT (date, metric) DO UPDATE SET value = value + excluded.value");
      if (!add.ok()) return add.status();
      DOCPIPE_RETURN_IF_ERROR(add->Bind(1, date).Bind(2, metric).Bind(3, delta).Run());
    }
    return txn->Commit();
  }

  Status Set(const std::string& date, const std::string& metric, double value) override {
    DOCPIPE_RETURN_IF_ERROR(CheckMetric(date, metric, value));
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
    auto stmt = db_->Prepare("SELECT DISTINCT date FROM metrics WHERE instr(date, '#') = 0 ORDER BY date ASC");
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
  auto db = OpenWithSchema(db_path, "control", kControlSchemaVersion, ControlSchema());
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
