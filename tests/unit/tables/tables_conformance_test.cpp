// The table ports' contracts (tables/tables.h: ControlTable, AuditLog,
// MetricsTable, with the dashboard's queries ListDocuments, Summarize and
// AuditLog::Count), run against every adapter: SQLite and DynamoDB on a real
// moto_server. Both must answer exactly as the reference over records in
// memory (PageDocuments, SummarizeLatest). What only one adapter does stays in
// its own file: SQLite's processes and schema upgrades; DynamoDB's requests,
// stored items, lost answers and provisioning.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/hash.h"
#include "support/conformance.h"
#include "support/moto_fixture.h"
#include "support/test_util.h"
#include "tables/dynamodb_tables.h"
#include "tables/sqlite_tables.h"
#include "unit/tables/table_records.h"

namespace docpipe {
namespace {

// Opens adapters on one set of tables; each call is another adapter (as
// another worker or process would open), seeing the same data.
struct TablesUnderTest {
  virtual ~TablesUnderTest() = default;
  //! `page_limit`: rows per Query/Scan page where the adapter pages (small
  //! limits make every listing cross pages); ignored where it does not.
  virtual ControlTablePtr NewControl(int page_limit) = 0;
  virtual AuditLogPtr NewAudit(int page_limit) = 0;
  virtual MetricsTablePtr NewMetrics(int page_limit) = 0;
  //! Adds per thread in MetricsConcurrentAddsAreAtomic (requests to moto are slower).
  virtual int ConcurrentAdds() const = 0;
  //! Whether PagesMatchTheReference... runs all 50 listing queries, or 10 that
  //! still cover every sort, direction and filter: each query pages through
  //! Scans of the whole table, which cost moto about half a second each.
  virtual bool EveryListingQuery() const = 0;
};

template <typename T>
std::unique_ptr<T> Opened(Result<std::unique_ptr<T>> made) {
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(*made) : nullptr;
}

struct SqliteTablesUnderTest : TablesUnderTest {
  testing::TempDir dir;
  std::string path = dir.Join("docpipe.db");
  ControlTablePtr NewControl(int) override { return Opened(NewSqliteControlTable(path)); }
  AuditLogPtr NewAudit(int) override { return Opened(NewSqliteAuditLog(path)); }
  MetricsTablePtr NewMetrics(int) override { return Opened(NewSqliteMetricsTable(path)); }
  int ConcurrentAdds() const override { return 200; }
  bool EveryListingQuery() const override { return true; }
};

// Tables of their own per test on the process's moto_server. Serialized:
// moto's threaded server does not make conditional writes atomic under
// concurrency (MotoServerOptions), DynamoDB does.
struct DynamoDbTablesUnderTest : TablesUnderTest {
  std::unique_ptr<testing::MotoAwsClient> aws;
  DynamoDbTableNames names;
  DynamoDbTablesUnderTest() {
    std::string error;
    testing::MotoServer* moto = testing::SharedMotoServer(&error, {.serialize_requests = true});
    if (moto == nullptr) {
      ADD_FAILURE() << testing::MotoStartFailure(error);
      return;
    }
    aws = std::make_unique<testing::MotoAwsClient>(*moto, "dynamodb");
    static std::atomic<int> sets{0};
    const std::string prefix = fmt::format("conformance-{}", sets++);
    names = {prefix + "-control", prefix + "-audit", prefix + "-metrics"};
    Status s = ProvisionDynamoDbTables(aws->client(), names, 30'000);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  static DynamoDbTableOptions Pages(int limit) { return {.page_limit = limit}; }
  ControlTablePtr NewControl(int page_limit) override {
    return aws ? NewDynamoDbControlTable(aws->client(), names.control, Pages(page_limit)) : nullptr;
  }
  AuditLogPtr NewAudit(int page_limit) override {
    return aws ? NewDynamoDbAuditLog(aws->client(), names.audit, Pages(page_limit)) : nullptr;
  }
  MetricsTablePtr NewMetrics(int page_limit) override {
    return aws ? NewDynamoDbMetricsTable(aws->client(), names.metrics, Pages(page_limit)) : nullptr;
  }
  int ConcurrentAdds() const override { return 50; }
  bool EveryListingQuery() const override { return false; }
};

using TablesAdapter = testing::ConformanceAdapter<TablesUnderTest>;

class TablesConformanceTest : public ::testing::TestWithParam<TablesAdapter> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_FALSE(HasFailure()) << "the " << GetParam().name << " tables did not open";
    OpenWithPages(2);  // every listing of a paging adapter crosses pages
  }
  void OpenWithPages(int page_limit) {
    control_ = under_test_->NewControl(page_limit);
    audit_ = under_test_->NewAudit(page_limit);
    metrics_ = under_test_->NewMetrics(page_limit);
    ASSERT_TRUE(control_ && audit_ && metrics_);
  }
  TablesUnderTest& tables() { return *under_test_; }

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
      if (r.status == DocStatus::kFailed) {
        r.error_stage = stages[(i + 1) % 5];
        r.last_error = fmt::format("boom {}", i);
      }
      r.retry_count = i % 3;
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
  MetricsTablePtr metrics_;

 private:
  std::unique_ptr<TablesUnderTest> under_test_;
};

// ---------------------------------------------------------------------------
// Control table

TEST_P(TablesConformanceTest, ControlCreateGetAndDuplicate) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].attempts = 1;
  r.stage_status["extract"].metrics = {{"pages", 3}, {"ratio", 0.25}, {"note", ""}};
  ASSERT_TRUE(control_->Create(r).ok());
  EXPECT_EQ(r.revision, 1);

  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->source_key, "input/a.pdf");
  EXPECT_EQ(got->stage_status.at("extract").attempts, 1);
  EXPECT_EQ(ToJson(*got), ToJson(r));

  ControlRecord dup = NewRecord("a", 1, DocStatus::kFailed, kT0 + 5);
  Status s = control_->Create(dup);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(dup.revision, 0) << "a failed create leaves the record untouched";
  EXPECT_EQ(control_->Get("a", "000001")->status, DocStatus::kPending);

  EXPECT_TRUE(control_->Get("a", "000002").status().IsNotFound());
  EXPECT_TRUE(control_->Get("zz", "000001").status().IsNotFound());
}

TEST_P(TablesConformanceTest, ControlRejectsRecordsWithoutKeyOrOverBudget) {
  ControlRecord r;
  EXPECT_EQ(control_->Create(r).code(), Status::Code::kInvalidInput);
  r = NewRecord("big", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(control_->Create(r).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(control_->Get("big", "000001").status().IsNotFound());

  ControlRecord ok = NewRecord("big", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(ok).ok());
  ok.last_error = std::string(10'000, 'e');  // capped by ToJson, so within budget
  ok.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(control_->Update(ok).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(ok.revision, 1);
}

TEST_P(TablesConformanceTest, ControlGetLatestAndListVersions) {
  for (int v : {2, 1, 10}) {
    ControlRecord r = NewRecord("doc", v, DocStatus::kCompleted, kT0 + v);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  ControlRecord other = NewRecord("doc2", 99, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(other).ok());

  auto latest = control_->GetLatest("doc");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->processing_version, "000010");
  EXPECT_TRUE(control_->GetLatest("nope").status().IsNotFound());

  auto versions = control_->ListVersions("doc");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].processing_version, "000001");
  EXPECT_EQ((*versions)[1].processing_version, "000002");
  EXPECT_EQ((*versions)[2].processing_version, "000010");
  EXPECT_TRUE(control_->ListVersions("nope")->empty());
}

TEST_P(TablesConformanceTest, ControlUpdateIsConditionalOnRevision) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());

  ControlRecord stale = r;  // a second worker's copy at revision 1
  r.status = DocStatus::kInProgress;
  r.lease_owner = "w1";
  r.updated_at = kT0 + 10;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(r.revision, 2);

  stale.lease_owner = "w2";
  Status s = control_->Update(stale);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("is at revision 2, not 1"), std::string::npos) << s.message();
  EXPECT_EQ(stale.revision, 1) << "a lost update leaves the revision alone";

  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->lease_owner, "w1");
  EXPECT_EQ(got->status, DocStatus::kInProgress);
  EXPECT_EQ(got->revision, 2);

  // The winner can keep writing from its fresh revision.
  r.status = DocStatus::kCompleted;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(r.revision, 3);

  // Two writers with byte-identical records from one revision (two threads
  // of one worker claiming in the same millisecond: same lease_owner, same
  // times): one wins, the other must see a Conflict, not take the winner's
  // write for its own (issue 17's soak).
  ControlRecord twin_a = r, twin_b = r;
  twin_a.lease_owner = twin_b.lease_owner = "w1";
  ASSERT_TRUE(control_->Update(twin_a).ok());
  s = control_->Update(twin_b);
  EXPECT_TRUE(s.IsConflict()) << "both identical claims succeeded: " << s.ToString();
  ControlRecord created_twice = NewRecord("twin", 1, DocStatus::kPending, kT0);
  ControlRecord same_create = created_twice;
  ASSERT_TRUE(control_->Create(created_twice).ok());
  EXPECT_TRUE(control_->Create(same_create).IsConflict()) << "an identical second Create is no retry of ours";

  ControlRecord missing = NewRecord("ghost", 1, DocStatus::kPending, kT0);
  missing.revision = 1;
  s = control_->Update(missing);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(control_->Get("ghost", "000001").status().IsNotFound()) << "a failed update creates nothing";
}

TEST_P(TablesConformanceTest, ControlUpdateKeepsEveryFieldAndClearsWhatWasCleared) {
  ControlRecord r = ClaimedRecord("a");
  ASSERT_TRUE(control_->Create(r).ok());
  EXPECT_EQ(ToJson(*control_->Get("a", "000001")), ToJson(r));
  ReleaseClaim(r);
  ASSERT_TRUE(control_->Update(r).ok());
  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ToJson(*got), ToJson(r));
  EXPECT_EQ(got->current_stage, "");

  // And back: the fields reappear.
  r.ttl = 1'900'000'001;
  r.current_stage = "chunk";
  ASSERT_TRUE(control_->Update(r).ok());
  got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ttl, 1'900'000'001);
  EXPECT_EQ(got->current_stage, "chunk");
}

TEST_P(TablesConformanceTest, ControlListByStatusNewestFirst) {
  ControlRecord a = NewRecord("a", 1, DocStatus::kFailed, kT0 + 1);
  ControlRecord b = NewRecord("b", 1, DocStatus::kFailed, kT0 + 3);
  ControlRecord c = NewRecord("c", 1, DocStatus::kCompleted, kT0 + 2);
  ControlRecord d = NewRecord("d", 1, DocStatus::kFailed, kT0 + 2);
  for (ControlRecord* r : {&a, &b, &c, &d}) ASSERT_TRUE(control_->Create(*r).ok());

  auto failed = control_->List(DocStatus::kFailed, 10);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_EQ(failed->size(), 3u);
  EXPECT_EQ((*failed)[0].document_id, "b");
  EXPECT_EQ((*failed)[1].document_id, "d");
  EXPECT_EQ((*failed)[2].document_id, "a");

  auto two = control_->List(DocStatus::kFailed, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].document_id, "d");

  auto all = control_->List(std::nullopt, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().document_id, "b");
  EXPECT_EQ(all->back().document_id, "a");
  EXPECT_EQ(control_->List(std::nullopt, 1)->size(), 1u);
  EXPECT_TRUE(control_->List(DocStatus::kSuperseded, 10)->empty());

  // Status changes move a record between lists.
  c.status = DocStatus::kFailed;
  c.updated_at = kT0 + 9;
  ASSERT_TRUE(control_->Update(c).ok());
  failed = control_->List(DocStatus::kFailed, 10);
  ASSERT_EQ(failed->size(), 4u);
  EXPECT_EQ((*failed)[0].document_id, "c");
  EXPECT_TRUE(control_->List(DocStatus::kCompleted, 10)->empty());

  // Many more than a page: the limit holds, and the order across pages.
  for (int i = 0; i < 9; ++i) {
    ControlRecord r = NewRecord("p" + std::to_string(i), 1, DocStatus::kPending, kT0 + 100 + i);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  auto pending = control_->List(DocStatus::kPending, 5);
  ASSERT_TRUE(pending.ok());
  std::vector<std::string> ids;
  for (const auto& r : *pending) ids.push_back(r.document_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p8", "p7", "p6", "p5", "p4"}));
  EXPECT_EQ(control_->List(DocStatus::kPending, 0)->size(), 9u) << "limit 0 lists all";
}

TEST_P(TablesConformanceTest, ControlDeleteIsIdempotentAndAnotherAdapterSeesTheData) {
  ControlRecord r1 = NewRecord("a", 1, DocStatus::kCompleted, kT0);
  ControlRecord r2 = NewRecord("a", 2, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r1).ok());
  ASSERT_TRUE(control_->Create(r2).ok());
  ASSERT_TRUE(control_->Delete("a", "000002").ok());
  EXPECT_TRUE(control_->Delete("a", "000002").ok()) << "deleting an absent record is OK";
  EXPECT_TRUE(control_->Get("a", "000002").status().IsNotFound());
  EXPECT_EQ(control_->GetLatest("a")->processing_version, "000001");

  // A second adapter (as another process would) sees the same data, and
  // opening existing tables again is idempotent.
  control_.reset();
  ControlTablePtr again = tables().NewControl(2);
  ASSERT_NE(again, nullptr);
  auto got = again->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status, DocStatus::kCompleted);
}

TEST_P(TablesConformanceTest, ControlConcurrentClaimsFromThreadsHaveOneWinner) {
  ControlRecord r = NewRecord("race", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());

  constexpr int kThreads = 8;
  std::vector<ControlTablePtr> adapters;
  for (int i = 0; i < kThreads; ++i) {
    adapters.push_back(tables().NewControl(2));
    ASSERT_NE(adapters.back(), nullptr);
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto rec = adapters[i]->Get("race", "000001");
      if (!rec.ok()) {
        results[i] = rec.status();
        ++ready;
        return;
      }
      rec->status = DocStatus::kInProgress;
      rec->lease_owner = "worker-" + std::to_string(i);
      rec->lease_expires_at = kT0 + 60'000;
      ++ready;
      while (!go.load()) std::this_thread::yield();
      results[i] = adapters[i]->Update(*rec);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();

  int winners = 0, winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      ++winners;
      winner = i;
    } else {
      EXPECT_TRUE(results[i].IsConflict()) << results[i].ToString();
    }
  }
  ExpectOneClaimWon(*control_, winners, "worker-" + std::to_string(winner));
}

// ---------------------------------------------------------------------------
// Audit log

TEST_P(TablesConformanceTest, AuditListsInTimeOrderWithGeneratedIds) {
  AuditEvent late = Event("d", "STAGE_COMPLETED", kT0 + 2000);
  AuditEvent early = Event("d", "DOCUMENT_RECEIVED", kT0);
  AuditEvent mid = Event("d", "STAGE_STARTED", kT0 + 1000);
  mid.stage = "extract";
  mid.details = {{"attempt", 1}};
  late.ttl = 1'900'000'000;
  AuditEvent other = Event("e", "DOCUMENT_RECEIVED", kT0);
  for (AuditEvent* e : {&late, &early, &mid, &other}) ASSERT_TRUE(audit_->Append(*e).ok());

  std::regex id_re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f]{8})");
  EXPECT_TRUE(std::regex_match(early.event_id, id_re)) << early.event_id;
  EXPECT_EQ(early.event_id.substr(0, 24), "2026-11-22T04:55:10.000Z");

  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].event_type, "DOCUMENT_RECEIVED");
  EXPECT_EQ((*events)[1].event_type, "STAGE_STARTED");
  EXPECT_EQ((*events)[1].stage, "extract");
  EXPECT_EQ((*events)[1].details["attempt"], 1);
  EXPECT_EQ((*events)[1].event_id, mid.event_id);
  EXPECT_EQ((*events)[2].event_type, "STAGE_COMPLETED");
  EXPECT_EQ((*events)[2].time, kT0 + 2000);
  EXPECT_EQ((*events)[2].ttl, 1'900'000'000);
  EXPECT_EQ(ToJson((*events)[2]), ToJson(late));
  EXPECT_EQ(audit_->List("e")->size(), 1u);
  EXPECT_TRUE(audit_->List("none")->empty());
}

TEST_P(TablesConformanceTest, AuditSameMillisecondKeepsAppendOrder) {
  std::vector<std::string> types;
  for (int i = 0; i < 20; ++i) {
    types.push_back("EVENT_" + std::to_string(100 + i));
    AuditEvent e = Event("d", types.back(), kT0);
    ASSERT_TRUE(audit_->Append(e).ok());
  }
  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ((*events)[i].event_type, types[i]);
}

// The audit trail a page at a time: every event once, in time order, for any
// page size; events appended while paging are found by the next page.
TEST_P(TablesConformanceTest, AuditPagesWalkEveryEventOnceInOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) {
    AuditEvent e = Event("d", fmt::format("EVENT_{:02}", i), kT0 + (i / 4) * 1000);  // ties in time
    ASSERT_TRUE(audit_->Append(e).ok());
    ids.push_back(e.event_id);
    AuditEvent other = Event("e", "OTHER", kT0 + i);
    ASSERT_TRUE(audit_->Append(other).ok());
  }
  for (int limit : {1, 3, 7, 25, 26, 1000}) {
    AuditPageQuery q{.document_id = "d", .limit = limit};
    std::vector<std::string> walked;
    int pages = 0;
    for (; pages < 100; ++pages) {
      Result<AuditPage> page = audit_->ListPage(q);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      EXPECT_LE(page->events.size(), static_cast<size_t>(limit));
      for (const AuditEvent& e : page->events) {
        EXPECT_EQ(e.document_id, "d");
        walked.push_back(e.event_id);
      }
      if (page->next_cursor.empty()) break;
      EXPECT_EQ(page->events.size(), static_cast<size_t>(limit)) << "only the last page is short";
      q.cursor = page->next_cursor;
    }
    EXPECT_EQ(walked, ids) << "limit " << limit;
    EXPECT_EQ(pages + 1, (25 + limit - 1) / limit) << "limit " << limit << ": no empty last page";
  }

  // Appended after the page that was the last: the next page from its cursor has it.
  AuditPageQuery q{.document_id = "d", .limit = 24};
  Result<AuditPage> first = audit_->ListPage(q);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_cursor.empty());
  q.cursor = first->next_cursor;
  AuditEvent late = Event("d", "LATE", kT0 + 60'000);
  ASSERT_TRUE(audit_->Append(late).ok());
  Result<AuditPage> second = audit_->ListPage(q);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->events.size(), 2u);
  EXPECT_EQ(second->events[0].event_id, ids.back());
  EXPECT_EQ(second->events[1].event_id, late.event_id);
  EXPECT_TRUE(second->next_cursor.empty());

  Result<AuditPage> none = audit_->ListPage({.document_id = "none", .limit = 10});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_TRUE(none->next_cursor.empty());
}

TEST_P(TablesConformanceTest, AuditPageRefusesBadCursorsAndLimits) {
  for (int i = 0; i < 3; ++i) {
    AuditEvent e = Event("d", "EVENT", kT0 + i);
    ASSERT_TRUE(audit_->Append(e).ok());
  }
  Result<AuditPage> first = audit_->ListPage({.document_id = "d", .limit = 1});
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_cursor.empty());
  for (int limit : {0, -1, kMaxAuditPage + 1}) {
    Result<AuditPage> page = audit_->ListPage({.document_id = "d", .limit = limit});
    EXPECT_TRUE(page.status().code() == Status::Code::kInvalidInput) << limit;
    EXPECT_NE(page.status().message().find("limit"), std::string::npos) << page.status().ToString();
  }
  for (const std::string& cursor : {std::string("not a cursor!"), std::string("bm90IGpzb24"),
                                    Base64UrlEncode(R"(["audit","d",""])"), Base64UrlEncode(R"(["audit","d",7])")}) {
    Result<AuditPage> page = audit_->ListPage({.document_id = "d", .limit = 1, .cursor = cursor});
    EXPECT_TRUE(page.status().code() == Status::Code::kInvalidInput) << cursor;
    EXPECT_EQ(page.status().message().rfind("cursor", 0), 0u) << page.status().ToString();
  }
  // Another document's cursor would start it from the wrong place.
  Result<AuditPage> other = audit_->ListPage({.document_id = "e", .limit = 1, .cursor = first->next_cursor});
  EXPECT_TRUE(other.status().code() == Status::Code::kInvalidInput);
  EXPECT_NE(other.status().message().find("another document"), std::string::npos) << other.status().ToString();
}

TEST_P(TablesConformanceTest, AuditExplicitIdsAreKeptAndUnique) {
  AuditEvent e = Event("d", "LEASE_EXPIRED", kT0);
  e.event_id = "2026-11-22T04:55:10.000Z#deadbeef";
  ASSERT_TRUE(audit_->Append(e).ok());
  EXPECT_EQ(e.event_id, "2026-11-22T04:55:10.000Z#deadbeef");
  AuditEvent dup = e;
  dup.worker_id = "w2";
  EXPECT_TRUE(audit_->Append(dup).IsConflict());

  AuditEvent no_time = Event("d", "X", 0);
  EXPECT_EQ(audit_->Append(no_time).code(), Status::Code::kInvalidInput);
  AuditEvent no_doc = Event("", "X", kT0);
  EXPECT_EQ(audit_->Append(no_doc).code(), Status::Code::kInvalidInput);
  AuditEvent huge = Event("d", "STAGE_COMPLETED", kT0);
  huge.details["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(audit_->Append(huge).code(), Status::Code::kInvalidInput);
  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].worker_id, "w1");
}

TEST_P(TablesConformanceTest, AuditIdsAreUniqueAcrossConcurrentWriters) {
  constexpr int kWriters = 4, kEvents = 15;
  std::vector<AuditLogPtr> logs;
  for (int i = 0; i < kWriters; ++i) {
    logs.push_back(tables().NewAudit(2));
    ASSERT_NE(logs.back(), nullptr);
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kEvents; ++k) {
        std::string type = "W";
        type.append(std::to_string(i)).append("_").append(std::to_string(100 + k));
        AuditEvent e = Event("d", type, kT0);  // same ms
        if (!logs[i]->Append(e).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), static_cast<size_t>(kWriters * kEvents));
  std::set<std::string> ids;
  std::map<std::string, std::vector<std::string>> per_writer;
  for (const auto& e : *events) {
    ids.insert(e.event_id);
    per_writer[e.event_type.substr(0, 2)].push_back(e.event_type);
  }
  EXPECT_EQ(ids.size(), events->size());
  for (const auto& [writer, types] : per_writer) {
    EXPECT_TRUE(std::is_sorted(types.begin(), types.end())) << writer << " kept its append order";
  }
}

// ---------------------------------------------------------------------------
// Metrics

TEST_P(TablesConformanceTest, MetricsAddGetAndListDays) {
  MetricsTable& t = *metrics_;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 10).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 2.5).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "documents_failed", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "stage_duration_ms#extract#b012", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-20", "pages", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-21", "pages", 0.1).ok());
  ASSERT_TRUE(t.Add("2026-11-21", "pages", 0.2).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(day->size(), 3u);
  EXPECT_DOUBLE_EQ(day->at("pages"), 12.5);
  EXPECT_DOUBLE_EQ(day->at("documents_failed"), 1);
  EXPECT_DOUBLE_EQ(day->at("stage_duration_ms#extract#b012"), 1);
  EXPECT_DOUBLE_EQ(t.GetDay("2026-11-21")->at("pages"), 0.3);
  EXPECT_TRUE(t.GetDay("2026-01-01")->empty());
  auto days = t.ListDays();  // a paging adapter: 5 items, days repeated across pages
  ASSERT_TRUE(days.ok()) << days.status().ToString();
  EXPECT_EQ(*days, (std::vector<std::string>{"2026-11-20", "2026-11-21", "2026-11-22"}));
  EXPECT_EQ(t.Add("", "pages", 1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Add("2026-11-22", "", 1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Add("2026-11-22", "pages", std::nan("")).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Add("2026-11-22", "pages", INFINITY).code(), Status::Code::kInvalidInput);
  EXPECT_DOUBLE_EQ(t.GetDay("2026-11-22")->at("pages"), 12.5) << "refused adds changed nothing";
}

TEST_P(TablesConformanceTest, MetricsSetReplacesTheValue) {
  MetricsTable& t = *metrics_;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 4).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 7).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 3).ok());  // replaced, not added
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 3).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(*day, (std::map<std::string, double>{{"head_queue_visible", 3}, {"pages", 4}}));
  EXPECT_EQ(t.Set("", "x", 1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Set("2026-11-22", "", 1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Set("2026-11-22", "x", std::nan("")).code(), Status::Code::kInvalidInput);
}

// A fact is counted once however often it is counted (issue 17's soak: a
// completion counted again by a retry or by the worker that found it
// completed), on its own date only, and the markers show in no listing.
TEST_P(TablesConformanceTest, MetricsAddOnceCountsEachFactOnce) {
  MetricsTable& t = *metrics_;
  const std::map<std::string, double> completion = {{"documents_completed", 1}, {"pages", 3}, {"chunks", 2}};
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 10).ok());
  for (int i = 0; i < 3; ++i) {
    Status s = t.AddOnce("2026-11-22", "doc-a/000001/completed", completion);
    ASSERT_TRUE(s.ok()) << "a repeat is not an error: " << s.ToString();
  }
  ASSERT_TRUE(t.AddOnce("2026-11-22", "doc-b/000001/completed", completion).ok());
  ASSERT_TRUE(t.AddOnce("2026-11-23", "doc-a/000002/completed", {{"documents_completed", 1}}).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(*day, (std::map<std::string, double>{{"chunks", 4}, {"documents_completed", 2}, {"pages", 16}}));
  EXPECT_EQ(*t.GetDay("2026-11-23"), (std::map<std::string, double>{{"documents_completed", 1}}));
  EXPECT_EQ(*t.ListDays(), (std::vector<std::string>{"2026-11-22", "2026-11-23"})) << "no marker rows";
  EXPECT_EQ(t.AddOnce("", "f", completion).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.AddOnce("2026-11-22", "", completion).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.AddOnce("2026-11-22", "doc-c/000001/completed", {{"pages", std::nan("")}}).code(),
            Status::Code::kInvalidInput);
  EXPECT_EQ(t.GetDay("2026-11-22")->at("documents_completed"), 2) << "a refused count changed nothing";
}

TEST_P(TablesConformanceTest, MetricsConcurrentAddsAreAtomic) {
  constexpr int kThreads = 4;
  const int kAdds = tables().ConcurrentAdds();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Half the threads share the fixture's adapter, half have their own.
      MetricsTablePtr own = i % 2 ? tables().NewMetrics(2) : nullptr;
      MetricsTable* t = own ? own.get() : metrics_.get();
      if (i % 2 && !own) {
        ++failures;
        return;
      }
      for (int k = 0; k < kAdds; ++k) {
        if (!t->Add("2026-11-22", "chunks", 1).ok()) ++failures;
        if (!t->Add("2026-11-22", "tokens", 0.5).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto day = metrics_->GetDay("2026-11-22");
  ASSERT_TRUE(day.ok());
  EXPECT_DOUBLE_EQ(day->at("chunks"), kThreads * kAdds);
  EXPECT_DOUBLE_EQ(day->at("tokens"), kThreads * kAdds * 0.5);
}

// ---------------------------------------------------------------------------
// The dashboard's queries: ListDocuments, Summarize, AuditLog::Count. Pages
// of 16 here (a Scan of 72 items in pages of 2 is slow on moto).

class TablesQueryConformanceTest : public TablesConformanceTest {
 protected:
  void SetUp() override {
    TablesConformanceTest::SetUp();
    if (!HasFatalFailure()) OpenWithPages(16);
  }
};

TEST_P(TablesQueryConformanceTest, PagesMatchTheReferenceForEverySortFilterAndDirection) {
  Fill();
  const std::vector<ControlRecord> latest = Latest();
  ASSERT_EQ(latest.size(), 60u);
  using S = DocumentListQuery::Sort;
  std::vector<DocumentListQuery> queries;
  int pair = 0;  // sort and direction
  for (S sort : {S::kUpdated, S::kCreated, S::kSourceKey, S::kStatus, S::kPages}) {
    for (bool desc : {true, false}) {
      DocumentListQuery base;
      base.sort = sort;
      base.descending = desc;
      base.limit = 7;
      for (int filter = 0; filter < 5; ++filter) {
        // A slow adapter gets one filter per sort and direction, in turn.
        if (!tables().EveryListingQuery() && filter != pair % 5) continue;
        DocumentListQuery q = base;
        if (filter == 1) q.status = DocStatus::kFailed;
        if (filter == 2) q.stage = "chunk";
        if (filter == 3) q.source_contains = "GUIDES/manual";  // case-insensitive
        if (filter == 4) q.document_ids = {"doc-001", "doc-017", "doc-042", "doc-999"};
        queries.push_back(q);
      }
      ++pair;
    }
  }
  ASSERT_EQ(queries.size(), tables().EveryListingQuery() ? 50u : 10u);
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

TEST_P(TablesQueryConformanceTest, OnlyTheLatestVersionIsListed) {
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

TEST_P(TablesQueryConformanceTest, BadCursorsAndLimitsAreRefused) {
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

TEST_P(TablesQueryConformanceTest, SummaryCountsTheLatestVersions) {
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

TEST_P(TablesQueryConformanceTest, AuditCountsPerBucketStageAndWorker) {
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

// An update of the latest version shows in the list and the summary at once;
// a new version replaces the old one; deleting the latest version lists the
// newest one left; deleting the last one removes the document.
TEST_P(TablesQueryConformanceTest, TheLatestVersionFollowsUpdatesAndDeletes) {
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

// A ControlRow as one line, every field, for comparisons that show the difference.
std::string StatusRowLine(const ControlRow& r) {
  return fmt::format("{} {} {} stage '{}' pages {} chunks {} try {} source '{}' error '{}' at '{}'", r.document_id,
                     r.processing_version, DocStatusName(r.status), r.current_stage, r.page_count, r.chunk_count,
                     r.retry_count, r.source_key, r.last_error, r.error_stage);
}

std::vector<std::string> StatusRowLines(const std::vector<ControlRow>& rows) {
  std::vector<std::string> lines;
  for (const ControlRow& r : rows) lines.push_back(StatusRowLine(r));
  return lines;
}

// `docpipe status`'s rows: the latest version of each document (never a
// superseded one), by id, each field as the whole record has it; a status
// filter applies to the latest version.
TEST_P(TablesQueryConformanceTest, StatusRowsAreTheLatestRecords) {
  Fill();
  const std::vector<ControlRecord> latest = Latest();  // by document_id
  ASSERT_EQ(latest.size(), 60u);
  for (std::optional<DocStatus> filter : {std::optional<DocStatus>(), std::optional(DocStatus::kPending),
                                          std::optional(DocStatus::kFailed), std::optional(DocStatus::kCompleted),
                                          std::optional(DocStatus::kSuperseded)}) {
    SCOPED_TRACE(filter ? DocStatusName(*filter) : "any status");
    std::vector<ControlRow> want;
    for (const ControlRecord& r : latest) {
      if (!filter || r.status == *filter) want.push_back(ControlRowOf(r));
    }
    Result<std::vector<ControlRow>> got = control_->ListLatestRows(filter);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(StatusRowLines(*got), StatusRowLines(want));
    if (filter == DocStatus::kSuperseded) {
      EXPECT_TRUE(want.empty());
    }
    if (filter == DocStatus::kFailed) {
      ASSERT_FALSE(want.empty());
      EXPECT_NE(want[0].last_error, "");
    }
  }
  // Retries and errors follow an update of the latest version.
  ControlRecord r = latest[7];
  r.status = DocStatus::kFailed;
  r.retry_count = 3;
  r.last_error = "embed: 429 after 3 tries";
  r.error_stage = "embed";
  ASSERT_TRUE(control_->Update(r).ok());
  Result<std::vector<ControlRow>> failed = control_->ListLatestRows(DocStatus::kFailed);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  auto it = std::find_if(failed->begin(), failed->end(),
                         [&](const ControlRow& row) { return row.document_id == r.document_id; });
  ASSERT_NE(it, failed->end());
  EXPECT_EQ(StatusRowLine(*it), StatusRowLine(ControlRowOf(r)));
}

const auto kAdapters =
    ::testing::Values(TablesAdapter{"Sqlite", [] { return std::make_unique<SqliteTablesUnderTest>(); }},
                      TablesAdapter{"DynamoDbMoto", [] { return std::make_unique<DynamoDbTablesUnderTest>(); }});
INSTANTIATE_TEST_SUITE_P(Adapters, TablesConformanceTest, kAdapters, testing::AdapterName());
INSTANTIATE_TEST_SUITE_P(Adapters, TablesQueryConformanceTest, kAdapters, testing::AdapterName());

}  // namespace
}  // namespace docpipe
