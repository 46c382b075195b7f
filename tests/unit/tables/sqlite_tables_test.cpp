#include "tables/sqlite_tables.h"

#include <sys/wait.h>
#include <unistd.h>


#include <gtest/gtest.h>

#include <filesystem>

#include "common/sqlite_db.h"
#include "support/test_util.h"
#include "unit/tables/table_records.h"

// The ports' contract (control, audit and metrics tables, the dashboard's
// queries) runs against this adapter and DynamoDB's in
// tables_conformance_test.cpp; here is what only SQLite does: claims from
// several processes and the upgrade of older workspaces.

namespace docpipe {
namespace {

class SqliteControlTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = NewSqliteControlTable(db_path());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = std::move(*t);
  }
  std::string db_path() const { return dir_.Join("docpipe.db"); }

  testing::TempDir dir_;
  ControlTablePtr table_;
};

// Exit codes of a claim attempt in a child process.
enum ClaimExit { kWon = 0, kLost = 1, kFailed = 2 };

TEST_F(SqliteControlTableTest, ConcurrentClaimsFromProcessesHaveOneWinner) {
  ControlRecord r = NewRecord("race", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(table_->Create(r).ok());

  constexpr int kProcs = 4;
  int ready_pipe[2], go_pipe[2];
  ASSERT_EQ(pipe(ready_pipe), 0);
  ASSERT_EQ(pipe(go_pipe), 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: its own adapter, no gtest, leave with _exit.
      close(ready_pipe[0]);
      close(go_pipe[1]);
      int code = kFailed;
      {
        auto table = NewSqliteControlTable(db_path());
        if (table.ok()) {
          auto rec = (*table)->Get("race", "000001");
          if (rec.ok()) {
            rec->status = DocStatus::kInProgress;
            rec->lease_owner = "proc-" + std::to_string(i);
            char c = 'r';
            (void)!write(ready_pipe[1], &c, 1);
            (void)!read(go_pipe[0], &c, 1);  // returns 0 when the parent closes it: all start together
            Status s = (*table)->Update(*rec);
            code = s.ok() ? kWon : s.IsConflict() ? kLost : kFailed;
          }
        }
      }
      _exit(code);
    }
    pids.push_back(pid);
  }
  close(ready_pipe[1]);
  close(go_pipe[0]);
  for (int i = 0; i < kProcs; ++i) {
    char c;
    ASSERT_EQ(read(ready_pipe[0], &c, 1), 1) << "child " << i << " failed before the race";
  }
  close(go_pipe[1]);
  close(ready_pipe[0]);

  int winners = 0, winner = -1;
  for (int i = 0; i < kProcs; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
    ASSERT_TRUE(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    EXPECT_NE(code, kFailed) << "child " << i << " hit an unexpected error";
    if (code == kWon) {
      ++winners;
      winner = i;
    }
  }
  ExpectOneClaimWon(*table_, winners, "proc-" + std::to_string(winner));
}

// A workspace written before the SQLite control table kept its latest
// versions (schema 1) is filled in when a newer binary opens it.
TEST(DocumentQueriesSqliteTest, AWorkspaceOfSchemaOneIsFilledInOnOpen) {
  testing::TempDir dir;
  {
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(dir.Join("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec(R"sql(
      CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
      INSERT INTO schema_version VALUES ('control', 1);
      CREATE TABLE control (document_id TEXT NOT NULL, processing_version TEXT NOT NULL, status TEXT NOT NULL,
                            current_stage TEXT NOT NULL, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL,
                            item TEXT NOT NULL, PRIMARY KEY (document_id, processing_version)) WITHOUT ROWID;)sql").ok());
    for (int v = 1; v <= 2; ++v) {
      ControlRecord r;
      r.document_id = "old-doc";
      r.processing_version = FormatVersion(v);
      r.source_key = "input/old.pdf";
      r.status = v == 2 ? DocStatus::kCompleted : DocStatus::kSuperseded;
      r.page_count = 10 * v;
      r.created_at = kT0;
      r.updated_at = kT0 + v;
      Result<SqliteStatement> insert = (*db)->Prepare("INSERT INTO control VALUES (?, ?, ?, '', ?, 0, ?)");
      ASSERT_TRUE(insert.ok());
      ASSERT_TRUE(insert->Bind(1, r.document_id)
                      .Bind(2, r.processing_version)
                      .Bind(3, DocStatusName(r.status))
                      .Bind(4, r.updated_at)
                      .Bind(5, ToJson(r).dump())
                      .Run()
                      .ok());
    }
  }
  Result<ControlTablePtr> control = NewSqliteControlTable(dir.Join("db"));
  ASSERT_TRUE(control.ok()) << control.status().ToString();
  Result<DocumentListPage> page = (*control)->ListDocuments({});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->total, 1);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].processing_version, FormatVersion(2));
  EXPECT_EQ(page->records[0].page_count, 20);
  Result<ControlSummary> summary = (*control)->Summarize();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->by_status["COMPLETED"], 1);
  EXPECT_EQ(summary->pages, 20);
  // Opened again: filled once, nothing doubled.
  control->reset();
  control = NewSqliteControlTable(dir.Join("db"));
  ASSERT_TRUE(control.ok());
  EXPECT_EQ((*control)->ListDocuments({})->total, 1);
}

}  // namespace
// A workspace of an older control schema gets control_latest rebuilt from
// control when a newer binary opens it (schema 3 added the retry count and
// the last error); a workspace at this schema is opened without writing.
TEST(DocumentQueriesSqliteTest, AnOlderControlSchemaRebuildsTheLatestVersions) {
  testing::TempDir dir;
  ControlRecord r;
  r.document_id = "doc-retried";
  r.processing_version = FormatVersion(1);
  r.source_key = "input/retried.pdf";
  r.status = DocStatus::kFailed;
  r.error_stage = "embed";
  r.last_error = "timeout";
  r.retry_count = 2;
  r.created_at = kT0;
  r.updated_at = kT0;
  {
    Result<ControlTablePtr> control = NewSqliteControlTable(dir.Join("db"));
    ASSERT_TRUE(control.ok()) << control.status().ToString();
    ASSERT_TRUE((*control)->Create(r).ok());
  }
  {
    // As a schema-2 binary would leave it: an older version number and a
    // control_latest without the new fields.
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(dir.Join("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("UPDATE schema_version SET version = 2 WHERE component = 'control';"
                            " UPDATE control_latest SET retry_count = 0, last_error = ''")
                    .ok());
  }
  Result<ControlTablePtr> control = NewSqliteControlTable(dir.Join("db"));
  ASSERT_TRUE(control.ok()) << control.status().ToString();
  Result<std::vector<ControlRow>> rows = (*control)->ListLatestRows(std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].retry_count, 2);
  EXPECT_EQ((*rows)[0].last_error, "timeout");
  control->reset();

  // At this schema, opening writes nothing: the WAL stays empty.
  const std::string wal = dir.Join("db") + "-wal";
  {
    Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(dir.Join("db"));  // holds the WAL open
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    ASSERT_EQ(std::filesystem::file_size(wal), 0u);
    control = NewSqliteControlTable(dir.Join("db"));
    ASSERT_TRUE(control.ok());
    EXPECT_EQ(std::filesystem::file_size(wal), 0u);
    EXPECT_EQ((*control)->ListLatestRows(DocStatus::kFailed)->size(), 1u);
  }
}

}  // namespace docpipe
