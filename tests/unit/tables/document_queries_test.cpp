// The dashboard's queries over the control and audit tables (tables.h:
// ListDocuments, Summarize, AuditLog::Count). Both adapters are held to one
// contract: the SQLite adapter (computed in SQL) and the DynamoDB adapter
// against a real moto_server (a Scan of the control table, a Query of the
// audit table's event-type-index) must answer exactly as the reference over
// records in memory (PageDocuments, SummarizeLatest). The DynamoDB suite is a
// moto suite (CMakeLists.txt MOTO_SUITES) and fails when moto is missing.

#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "common/hash.h"
#include "common/sqlite_db.h"

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "http/curl_http_client.h"
#include "http/http_client.h"
#include "support/moto_server.h"
#include "support/test_util.h"
#include "tables/dynamodb_tables.h"
#include "tables/sqlite_tables.h"

namespace docpipe {
namespace {

constexpr TimeMs kT0 = 1795323310000;  // 2026-11-22T04:55:10Z

// The contract; a fixture per adapter fills control_ and audit_.
class DocumentQueriesContract : public ::testing::Test {
 protected:
  void CheckPagesMatchTheReference();
  void CheckOnlyTheLatestVersionIsListed();
  void CheckBadCursorsAndLimitsAreRefused();
  void CheckSummaryCountsTheLatestVersions();
  void CheckAuditCounts();
  void CheckTheLatestVersionFollowsUpdatesAndDeletes();

  // 60 documents: statuses, stages, keys and page counts that vary, ties in
  // updated_at (the cursor must break them by id), a second version of every
  // fifth document (only the latest counts).
  void Fill() {
    const DocStatus statuses[] = {DocStatus::kPending, DocStatus::kInProgress, DocStatus::kCompleted,
                                  DocStatus::kFailed};
    const char* stages[] = {"extract", "chunk", "enrich", "embed", "load"};
    for (int i = 0; i < 60; ++i) {
      ControlRecord r;
      r.document_id = fmt::format("doc-{:03}", (i * 37) % 60);
      r.processing_version = FormatVersion(1);
      r.source_key = fmt::format("input/{}/Manual {:02}.pdf", i % 3 == 0 ? "Guides" : "notes", i);
      r.status = statuses[i % 4];
      r.current_stage = r.status == DocStatus::kCompleted ? "" : stages[i % 5];
      if (r.status == DocStatus::kFailed) r.error_stage = stages[(i + 1) % 5], r.last_error = "boom";
      r.created_at = kT0 + i * 1000;
      r.updated_at = kT0 + (i / 3) * 1000;  // three records share each time
      r.page_count = (i * 7) % 11;
      r.chunk_count = r.page_count * 3;
      ASSERT_TRUE(control_->Create(r).ok());
      if (i % 5 == 0) {
        ControlRecord old = r;
        old.processing_version = FormatVersion(0);  // an older version sorts first
        old.status = DocStatus::kSuperseded;
        old.page_count = 999;
        ASSERT_TRUE(control_->Create(old).ok());
      }
    }
  }

  std::vector<ControlRecord> Latest() {
    std::map<std::string, ControlRecord> latest;
    for (ControlRecord& r : *control_->List(std::nullopt, 0)) {
      auto it = latest.find(r.document_id);
      if (it == latest.end() || it->second.processing_version < r.processing_version) latest[r.document_id] = r;
    }
    std::vector<ControlRecord> out;
    for (auto& [id, r] : latest) out.push_back(r);
    return out;
  }

  // Every page of `q`, following the cursors.
  std::vector<std::string> Walk(DocumentListQuery q, int64_t* total) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 100; ++pages) {
      Result<DocumentListPage> page = control_->ListDocuments(q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      *total = page->total;
      for (const ControlRecord& r : page->records) ids.push_back(r.document_id);
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return ids;
  }

  ControlTablePtr control_;
  AuditLogPtr audit_;
};

class DocumentQueriesTest : public DocumentQueriesContract {
 protected:
  void SetUp() override {
    control_ = std::move(*NewSqliteControlTable(dir_.Join("db")));
    audit_ = std::move(*NewSqliteAuditLog(dir_.Join("db")));
  }
  testing::TempDir dir_;
};

// One moto_server for the suite; every test provisions its own tables.
class DocumentQueriesDynamoDbTest : public DocumentQueriesContract {
 protected:
  static void SetUpTestSuite() {
    moto_ = testing::MotoServer::Start(&moto_error_).release();
    if (moto_ == nullptr) return;
    http_ = NewCurlHttpClient().release();
    clock_ = NewSystemClock().release();
    credentials_ = NewStaticCredentialsProvider({"AKIDTESTMOTO", "motosecret", "", 0}).release();
    quota_ = new RetryQuota();
    AwsServiceConfig config;
    config.region = "us-east-1";
    config.signing_name = "dynamodb";
    config.endpoint = moto_->endpoint();
    config.timeout_ms = 30'000;
    client_ = new AwsClient(config, *http_, *credentials_, *clock_, *quota_);
  }
  static void TearDownTestSuite() {
    delete client_;
    delete quota_;
    delete credentials_;
    delete clock_;
    delete http_;
    delete moto_;
    client_ = nullptr;
    moto_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server did not start: " << moto_error_ << "\n"
                              << testing::kInstallTestPeers;
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    DynamoDbTableNames names{test + "-control", test + "-audit", test + "-metrics"};
    Status s = ProvisionDynamoDbTables(*client_, names, 30'000);
    ASSERT_TRUE(s.ok()) << s.ToString();
    // Small pages: every Scan and Query crosses several.
    DynamoDbTableOptions small{.page_limit = 16};
    control_ = NewDynamoDbControlTable(*client_, names.control, small);
    audit_ = NewDynamoDbAuditLog(*client_, names.audit, small);
  }

  static testing::MotoServer* moto_;
  static std::string moto_error_;
  static HttpClient* http_;
  static Clock* clock_;
  static CredentialsProvider* credentials_;
  static RetryQuota* quota_;
  static AwsClient* client_;
};

testing::MotoServer* DocumentQueriesDynamoDbTest::moto_ = nullptr;
std::string DocumentQueriesDynamoDbTest::moto_error_;
HttpClient* DocumentQueriesDynamoDbTest::http_ = nullptr;
Clock* DocumentQueriesDynamoDbTest::clock_ = nullptr;
CredentialsProvider* DocumentQueriesDynamoDbTest::credentials_ = nullptr;
RetryQuota* DocumentQueriesDynamoDbTest::quota_ = nullptr;
AwsClient* DocumentQueriesDynamoDbTest::client_ = nullptr;

// Every check, on both adapters.
#define DOCPIPE_QUERY_CONTRACT(name, check)   \
  TEST_F(DocumentQueriesTest, name) { check(); } \
  TEST_F(DocumentQueriesDynamoDbTest, name) { check(); }

DOCPIPE_QUERY_CONTRACT(PagesMatchTheReferenceForEverySortFilterAndDirection, CheckPagesMatchTheReference)
DOCPIPE_QUERY_CONTRACT(OnlyTheLatestVersionIsListed, CheckOnlyTheLatestVersionIsListed)
DOCPIPE_QUERY_CONTRACT(BadCursorsAndLimitsAreRefused, CheckBadCursorsAndLimitsAreRefused)
DOCPIPE_QUERY_CONTRACT(SummaryCountsTheLatestVersions, CheckSummaryCountsTheLatestVersions)
DOCPIPE_QUERY_CONTRACT(AuditCountsPerBucketStageAndWorker, CheckAuditCounts)
DOCPIPE_QUERY_CONTRACT(TheLatestVersionFollowsUpdatesAndDeletes, CheckTheLatestVersionFollowsUpdatesAndDeletes)

// An update of the latest version shows in the list and the summary at once;
// a new version replaces the old one; deleting the latest version lists the
// newest one left; deleting the last one removes the document.
void DocumentQueriesContract::CheckTheLatestVersionFollowsUpdatesAndDeletes() {
  ControlRecord v1;
  v1.document_id = "doc-a";
  v1.processing_version = FormatVersion(1);
  v1.source_key = "input/a.pdf";
  v1.status = DocStatus::kPending;
  v1.current_stage = "extract";
  v1.created_at = kT0;
  v1.updated_at = kT0;
  ASSERT_TRUE(control_->Create(v1).ok());
  auto only = [&](DocumentListQuery q = {}) {
    Result<DocumentListPage> page = control_->ListDocuments(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page.ok() ? page->records.size() : 0u, page.ok() ? static_cast<size_t>(page->total) : 1u);
    return page.ok() && page->records.size() == 1 ? page->records[0] : ControlRecord{};
  };
  EXPECT_EQ(only().processing_version, FormatVersion(1));

  v1.status = DocStatus::kCompleted;
  v1.current_stage = "";
  v1.page_count = 12;
  v1.chunk_count = 30;
  v1.updated_at = kT0 + 1000;
  ASSERT_TRUE(control_->Update(v1).ok());
  EXPECT_EQ(only().status, DocStatus::kCompleted);
  EXPECT_EQ(only().page_count, 12);
  DocumentListQuery completed;
  completed.status = DocStatus::kCompleted;
  EXPECT_EQ(only(completed).document_id, "doc-a");
  Result<ControlSummary> summary = control_->Summarize();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->by_status["COMPLETED"], 1);
  EXPECT_EQ(summary->pages, 12);

  ControlRecord v2 = v1;
  v2.processing_version = FormatVersion(2);
  v2.revision = 0;
  v2.status = DocStatus::kFailed;
  v2.error_stage = "embed";
  v2.page_count = 3;
  v2.updated_at = kT0 + 2000;
  ASSERT_TRUE(control_->Create(v2).ok());
  EXPECT_EQ(only().processing_version, FormatVersion(2));
  EXPECT_EQ(only().status, DocStatus::kFailed);
  DocumentListQuery by_stage;
  by_stage.stage = "embed";
  EXPECT_EQ(only(by_stage).processing_version, FormatVersion(2));
  summary = control_->Summarize();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->by_status["COMPLETED"], 0);
  EXPECT_EQ(summary->failed_by_stage["embed"], 1);
  // An update of the older version changes nothing listed.
  v1.status = DocStatus::kSuperseded;
  ASSERT_TRUE(control_->Update(v1).ok());
  EXPECT_EQ(only().processing_version, FormatVersion(2));
  EXPECT_EQ(only().status, DocStatus::kFailed);

  ASSERT_TRUE(control_->Delete("doc-a", FormatVersion(2)).ok());
  EXPECT_EQ(only().processing_version, FormatVersion(1));
  EXPECT_EQ(only().status, DocStatus::kSuperseded);
  ASSERT_TRUE(control_->Delete("doc-a", FormatVersion(1)).ok());
  Result<DocumentListPage> none = control_->ListDocuments({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->total, 0);
  EXPECT_TRUE(none->records.empty());
  summary = control_->Summarize();
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->by_status["FAILED"], 0);
  EXPECT_EQ(summary->by_status["SUPERSEDED"], 0);
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

void DocumentQueriesContract::CheckPagesMatchTheReference() {
  Fill();
  const std::vector<ControlRecord> latest = Latest();
  ASSERT_EQ(latest.size(), 60u);
  using S = DocumentListQuery::Sort;
  std::vector<DocumentListQuery> queries;
  for (S sort : {S::kUpdated, S::kCreated, S::kSourceKey, S::kStatus, S::kPages}) {
    for (bool desc : {true, false}) {
      DocumentListQuery q;
      q.sort = sort;
      q.descending = desc;
      q.limit = 7;
      queries.push_back(q);
      q.status = DocStatus::kFailed;
      queries.push_back(q);
      q.status.reset();
      q.stage = "chunk";
      queries.push_back(q);
      q.stage.clear();
      q.source_contains = "GUIDES/manual";  // case-insensitive
      queries.push_back(q);
      q.source_contains.clear();
      q.document_ids = {"doc-001", "doc-017", "doc-042", "doc-999"};
      queries.push_back(q);
    }
  }
  for (const DocumentListQuery& q : queries) {
    SCOPED_TRACE(fmt::format("sort {} {} status {} stage '{}' q '{}' ids {}", DocumentSortName(q.sort),
                             q.descending ? "desc" : "asc", q.status ? DocStatusName(*q.status) : "-", q.stage,
                             q.source_contains, q.document_ids.size()));
    DocumentListQuery all = q;
    all.limit = 500;
    Result<DocumentListPage> want = PageDocuments(latest, all);
    ASSERT_TRUE(want.ok());
    ASSERT_TRUE(want->next_cursor.empty());
    std::vector<std::string> want_ids;
    for (const ControlRecord& r : want->records) want_ids.push_back(r.document_id);
    EXPECT_GT(want_ids.size(), 0u);
    int64_t total = -1;
    EXPECT_EQ(Walk(q, &total), want_ids);
    EXPECT_EQ(total, want->total);
    // The reference pages the same way through its own cursors.
    std::vector<std::string> ref_ids;
    DocumentListQuery r = q;
    for (;;) {
      Result<DocumentListPage> p = PageDocuments(latest, r);
      ASSERT_TRUE(p.ok());
      for (const ControlRecord& c : p->records) ref_ids.push_back(c.document_id);
      if (p->next_cursor.empty()) break;
      r.cursor = p->next_cursor;
    }
    EXPECT_EQ(ref_ids, want_ids);
  }
}

void DocumentQueriesContract::CheckOnlyTheLatestVersionIsListed() {
  Fill();
  DocumentListQuery q;
  q.status = DocStatus::kSuperseded;
  EXPECT_EQ(control_->ListDocuments(q)->total, 0);
  q.status.reset();
  q.sort = DocumentListQuery::Sort::kPages;
  q.limit = 1;
  Result<DocumentListPage> top = control_->ListDocuments(q);
  ASSERT_TRUE(top.ok());
  EXPECT_LT(top->records.at(0).page_count, 999);  // the superseded versions' 999 pages are not seen
}

void DocumentQueriesContract::CheckBadCursorsAndLimitsAreRefused() {
  Fill();
  DocumentListQuery q;
  q.limit = 0;
  EXPECT_EQ(control_->ListDocuments(q).status().code(), Status::Code::kInvalidInput);
  q.limit = 501;
  EXPECT_EQ(control_->ListDocuments(q).status().code(), Status::Code::kInvalidInput);
  q.limit = 5;
  q.cursor = "%%%";
  EXPECT_EQ(control_->ListDocuments(q).status().code(), Status::Code::kInvalidInput);
  q.cursor = Base64UrlEncode("[1,2]");
  EXPECT_EQ(control_->ListDocuments(q).status().code(), Status::Code::kInvalidInput);
  q.cursor = "";
  std::string next = control_->ListDocuments(q)->next_cursor;
  ASSERT_FALSE(next.empty());
  q.cursor = next;
  q.sort = DocumentListQuery::Sort::kSourceKey;  // a cursor of another order
  Result<DocumentListPage> other = control_->ListDocuments(q);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("another sort"), std::string::npos);
}

void DocumentQueriesContract::CheckSummaryCountsTheLatestVersions() {
  Fill();
  Result<ControlSummary> got = control_->Summarize();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ControlSummary want = SummarizeLatest(Latest());
  EXPECT_EQ(got->by_status, want.by_status);
  EXPECT_EQ(got->failed_by_stage, want.failed_by_stage);
  EXPECT_EQ(got->in_progress_by_stage, want.in_progress_by_stage);
  EXPECT_EQ(got->oldest_pending_since, want.oldest_pending_since);
  EXPECT_EQ(got->pages, want.pages);
  EXPECT_EQ(got->chunks, want.chunks);
  EXPECT_EQ(got->by_status["SUPERSEDED"], 0);
  EXPECT_EQ(got->by_status["PENDING"] + got->by_status["IN_PROGRESS"] + got->by_status["COMPLETED"] +
                got->by_status["FAILED"],
            60);
  EXPECT_GT(want.pages, 0);
}

void DocumentQueriesContract::CheckAuditCounts() {
  auto event = [&](const std::string& type, TimeMs t, const std::string& stage, const std::string& worker,
                   int pages) {
    AuditEvent e;
    e.document_id = fmt::format("doc-{}", t % 7);
    e.processing_version = "000001";
    e.event_type = type;
    e.stage = stage;
    e.time = t;
    e.worker_id = worker;
    if (pages >= 0) e.details = {{"pages", pages}};
    ASSERT_TRUE(audit_->Append(e).ok());
  };
  // Minute 0: two completions (3 + 4 pages); minute 2: one (10 pages);
  // the minute before and the minute after the range: not counted.
  event("DOCUMENT_COMPLETED", kT0 + 1'000, "", "w1", 3);
  event("DOCUMENT_COMPLETED", kT0 + 59'999, "", "w2", 4);
  event("DOCUMENT_COMPLETED", kT0 + 120'500, "", "w1", 10);
  event("DOCUMENT_COMPLETED", kT0 - 1, "", "w1", 100);
  event("DOCUMENT_COMPLETED", kT0 + 180'000, "", "w1", 100);
  event("STAGE_FAILED", kT0 + 5'000, "embed", "w1", -1);
  event("STAGE_FAILED", kT0 + 6'000, "embed", "w2", -1);
  event("STAGE_FAILED", kT0 + 7'000, "chunk", "w2", -1);

  AuditCountQuery q;
  q.event_type = "DOCUMENT_COMPLETED";
  q.since = kT0;
  q.until = kT0 + 180'000;
  q.bucket_ms = 60'000;
  q.sum_detail = "pages";
  Result<std::vector<AuditCount>> got = audit_->Count(q);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].bucket_start, kT0);
  EXPECT_EQ((*got)[0].count, 2);
  EXPECT_DOUBLE_EQ((*got)[0].sum, 7);
  EXPECT_EQ((*got)[0].last_time, kT0 + 59'999);
  EXPECT_EQ((*got)[1].bucket_start, kT0 + 120'000);
  EXPECT_EQ((*got)[1].count, 1);
  EXPECT_DOUBLE_EQ((*got)[1].sum, 10);

  AuditCountQuery f;
  f.event_type = "STAGE_FAILED";
  f.since = kT0;
  f.until = kT0 + 60'000;
  f.group_by = AuditCountQuery::GroupBy::kStage;
  got = audit_->Count(f);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].group, "chunk");
  EXPECT_EQ((*got)[0].count, 1);
  EXPECT_EQ((*got)[1].group, "embed");
  EXPECT_EQ((*got)[1].count, 2);
  f.group_by = AuditCountQuery::GroupBy::kWorker;
  got = audit_->Count(f);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].group, "w1");
  EXPECT_EQ((*got)[1].count, 2);

  AuditCountQuery bad = q;
  bad.until = bad.since;
  EXPECT_EQ(audit_->Count(bad).status().code(), Status::Code::kInvalidInput);
  bad = q;
  bad.sum_detail = "pages') OR 1=1 --";
  EXPECT_EQ(audit_->Count(bad).status().code(), Status::Code::kInvalidInput);
  bad = q;
  bad.bucket_ms = 1;
  EXPECT_EQ(audit_->Count(bad).status().code(), Status::Code::kInvalidInput);  // 180,000 buckets
}

}  // namespace
}  // namespace docpipe
