#include "common/sqlite_db.h"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace docpipe {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDb::Open(path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)").ok());
  }
  std::string path() const { return dir_.Join("t.db"); }
  int64_t Count() {
    auto s = db_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(*s->Step());
    return s->ColumnInt(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteDb> db_;
};

TEST_F(SqliteDbTest, OpensInWalModeWithForeignKeys) {
  auto mode = db_->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
  auto fk = db_->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(*fk->Step());
  EXPECT_EQ(fk->ColumnInt(0), 1);
}

TEST_F(SqliteDbTest, BindStepAndColumns) {
  auto ins = db_->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->Bind(1, std::string("a\0b", 3)).Bind(2, int64_t{1} << 40).Run().ok());
  EXPECT_EQ(db_->Changes(), 1);
  auto sel = db_->Prepare("SELECT k, v, NULL, 2.5 FROM t");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(*sel->Step());
  EXPECT_EQ(sel->ColumnText(0), std::string("a\0b", 3));
  EXPECT_EQ(sel->ColumnInt(1), int64_t{1} << 40);
  EXPECT_TRUE(sel->ColumnIsNull(2));
  EXPECT_DOUBLE_EQ(sel->ColumnDouble(3), 2.5);
  EXPECT_FALSE(*sel->Step());
}

TEST_F(SqliteDbTest, ErrorsAreTranslated) {
  auto ins = db_->Prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(ins->Bind(1, "a").Bind(2, 1).Run().ok());
  ins->Reset();
  Status dup = ins->Bind(1, "a").Bind(2, 2).Run();
  EXPECT_TRUE(dup.IsConflict()) << dup.ToString();
  EXPECT_NE(dup.message().find(path()), std::string::npos) << "names the database";
  EXPECT_NE(dup.message().find("UNIQUE"), std::string::npos) << "carries sqlite3_errmsg";

  ins->Reset();
  Status bad_bind = ins->Bind(7, "x").Run();
  EXPECT_EQ(bad_bind.code(), Status::Code::kInternal) << bad_bind.ToString();

  EXPECT_EQ(db_->Prepare("SELEKT 1").status().code(), Status::Code::kInternal);
  EXPECT_EQ(db_->Error(SQLITE_BUSY, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(db_->Error(SQLITE_LOCKED_SHAREDCACHE, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(db_->Error(SQLITE_CONSTRAINT_NOTNULL, "x").code(), Status::Code::kConflict);
  EXPECT_EQ(db_->Error(SQLITE_IOERR, "x").code(), Status::Code::kInternal);
}

TEST_F(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES ('x', 1)").ok());
  }
  EXPECT_EQ(Count(), 0);
  {
    auto txn = db_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES ('y', 1)").ok());
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_FALSE(txn->Commit().ok()) << "a finished transaction cannot commit twice";
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteDbTest, ImmediateTransactionExcludesOtherWriters) {
  auto other = SqliteDb::Open(path());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Exec("PRAGMA busy_timeout = 0").ok());  // fail fast instead of waiting 10 s
  auto txn = db_->Begin();
  ASSERT_TRUE(txn.ok());
  Status s = (*other)->Exec("BEGIN IMMEDIATE");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_TRUE((*other)->Exec("BEGIN IMMEDIATE; COMMIT").ok());
}

TEST_F(SqliteDbTest, SchemaVersionGuardsAgainstNewerFiles) {
  ASSERT_TRUE(db_->EnsureSchema("thing", 1, "CREATE TABLE IF NOT EXISTS thing (x)").ok());
  ASSERT_TRUE(db_->EnsureSchema("thing", 1, "CREATE TABLE IF NOT EXISTS thing (x)").ok()) << "idempotent";
  ASSERT_TRUE(db_->EnsureSchema("thing", 2, "CREATE TABLE IF NOT EXISTS thing (x)").ok());
  Status older = db_->EnsureSchema("thing", 1, "CREATE TABLE IF NOT EXISTS thing (x)");
  EXPECT_EQ(older.code(), Status::Code::kInternal);
  EXPECT_NE(older.message().find("newer"), std::string::npos);
}

}  // namespace
}  // namespace docpipe
