#include "tables/sqlite_tables.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace docpipe {
namespace {

constexpr TimeMs kT0 = 1795323310000;

ControlRecord NewRecord(const std::string& doc, int version, DocStatus status, TimeMs updated_at) {
  ControlRecord r;
  r.document_id = doc;
  r.processing_version = FormatVersion(version);
  r.source_key = "input/" + doc + ".pdf";
  r.status = status;
  r.current_stage = "extract";
  r.created_at = kT0;
  r.updated_at = updated_at;
  return r;
}

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

TEST_F(SqliteControlTableTest, CreateGetAndDuplicate) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].attempts = 1;
  ASSERT_TRUE(table_->Create(r).ok());
  EXPECT_EQ(r.revision, 1);

  auto got = table_->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->source_key, "input/a.pdf");
  EXPECT_EQ(got->stage_status.at("extract").attempts, 1);
  EXPECT_EQ(ToJson(*got), ToJson(r));

  ControlRecord dup = NewRecord("a", 1, DocStatus::kFailed, kT0 + 5);
  Status s = table_->Create(dup);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(dup.revision, 0) << "a failed create leaves the record untouched";
  EXPECT_EQ(table_->Get("a", "000001")->status, DocStatus::kPending);

  EXPECT_TRUE(table_->Get("a", "000002").status().IsNotFound());
  EXPECT_TRUE(table_->Get("zz", "000001").status().IsNotFound());
}

TEST_F(SqliteControlTableTest, RejectsRecordsWithoutKeyOrOverBudget) {
  ControlRecord r;
  EXPECT_EQ(table_->Create(r).code(), Status::Code::kInvalidInput);
  r = NewRecord("big", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(table_->Create(r).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(table_->Get("big", "000001").status().IsNotFound());
}

TEST_F(SqliteControlTableTest, GetLatestAndListVersions) {
  for (int v : {2, 1, 10}) {
    ControlRecord r = NewRecord("doc", v, DocStatus::kCompleted, kT0 + v);
    ASSERT_TRUE(table_->Create(r).ok());
  }
  ControlRecord other = NewRecord("doc2", 99, DocStatus::kPending, kT0);
  ASSERT_TRUE(table_->Create(other).ok());

  auto latest = table_->GetLatest("doc");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->processing_version, "000010");
  EXPECT_TRUE(table_->GetLatest("nope").status().IsNotFound());

  auto versions = table_->ListVersions("doc");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].processing_version, "000001");
  EXPECT_EQ((*versions)[1].processing_version, "000002");
  EXPECT_EQ((*versions)[2].processing_version, "000010");
  EXPECT_TRUE(table_->ListVersions("nope")->empty());
}

TEST_F(SqliteControlTableTest, UpdateIsConditionalOnRevision) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(table_->Create(r).ok());

  ControlRecord stale = r;  // a second worker's copy at revision 1
  r.status = DocStatus::kInProgress;
  r.lease_owner = "w1";
  r.updated_at = kT0 + 10;
  ASSERT_TRUE(table_->Update(r).ok());
  EXPECT_EQ(r.revision, 2);

  stale.lease_owner = "w2";
  Status s = table_->Update(stale);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(stale.revision, 1) << "a lost update leaves the revision alone";

  auto got = table_->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->lease_owner, "w1");
  EXPECT_EQ(got->status, DocStatus::kInProgress);
  EXPECT_EQ(got->revision, 2);

  // The winner can keep writing from its fresh revision.
  r.status = DocStatus::kCompleted;
  ASSERT_TRUE(table_->Update(r).ok());
  EXPECT_EQ(r.revision, 3);

  ControlRecord missing = NewRecord("ghost", 1, DocStatus::kPending, kT0);
  missing.revision = 1;
  EXPECT_TRUE(table_->Update(missing).IsNotFound());
}

TEST_F(SqliteControlTableTest, ListByStatusNewestFirst) {
  ControlRecord a = NewRecord("a", 1, DocStatus::kFailed, kT0 + 1);
  ControlRecord b = NewRecord("b", 1, DocStatus::kFailed, kT0 + 3);
  ControlRecord c = NewRecord("c", 1, DocStatus::kCompleted, kT0 + 2);
  ControlRecord d = NewRecord("d", 1, DocStatus::kFailed, kT0 + 2);
  for (ControlRecord* r : {&a, &b, &c, &d}) ASSERT_TRUE(table_->Create(*r).ok());

  auto failed = table_->List(DocStatus::kFailed, 10);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 3u);
  EXPECT_EQ((*failed)[0].document_id, "b");
  EXPECT_EQ((*failed)[1].document_id, "d");
  EXPECT_EQ((*failed)[2].document_id, "a");

  auto two = table_->List(DocStatus::kFailed, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].document_id, "d");

  auto all = table_->List(std::nullopt, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().document_id, "b");
  EXPECT_TRUE(table_->List(DocStatus::kSuperseded, 10)->empty());

  // Status changes move a record between lists.
  c.status = DocStatus::kFailed;
  c.updated_at = kT0 + 9;
  ASSERT_TRUE(table_->Update(c).ok());
  failed = table_->List(DocStatus::kFailed, 10);
  ASSERT_EQ(failed->size(), 4u);
  EXPECT_EQ((*failed)[0].document_id, "c");
  EXPECT_TRUE(table_->List(DocStatus::kCompleted, 10)->empty());
}

TEST_F(SqliteControlTableTest, DeleteAndReopen) {
  ControlRecord r1 = NewRecord("a", 1, DocStatus::kCompleted, kT0);
  ControlRecord r2 = NewRecord("a", 2, DocStatus::kPending, kT0);
  ASSERT_TRUE(table_->Create(r1).ok());
  ASSERT_TRUE(table_->Create(r2).ok());
  ASSERT_TRUE(table_->Delete("a", "000002").ok());
  EXPECT_TRUE(table_->Delete("a", "000002").ok()) << "deleting an absent record is OK";
  EXPECT_TRUE(table_->Get("a", "000002").status().IsNotFound());
  EXPECT_EQ(table_->GetLatest("a")->processing_version, "000001");

  // A second adapter (as another process would) sees the same data, and
  // reopening an existing database is idempotent.
  table_.reset();
  auto again = NewSqliteControlTable(db_path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto got = (*again)->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, DocStatus::kCompleted);
}

TEST_F(SqliteControlTableTest, ConcurrentClaimsFromThreadsHaveOneWinner) {
  ControlRecord r = NewRecord("race", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(table_->Create(r).ok());

  constexpr int kThreads = 8;
  std::vector<ControlTablePtr> adapters;
  for (int i = 0; i < kThreads; ++i) {
    auto t = NewSqliteControlTable(db_path());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    adapters.push_back(std::move(*t));
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
  ASSERT_EQ(winners, 1);
  auto stored = table_->Get("race", "000001");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->lease_owner, "worker-" + std::to_string(winner));
  EXPECT_EQ(stored->revision, 2);
}

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
  ASSERT_EQ(winners, 1);
  auto stored = table_->Get("race", "000001");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->lease_owner, "proc-" + std::to_string(winner));
  EXPECT_EQ(stored->revision, 2);
}

class SqliteAuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = NewSqliteAuditLog(dir_.Join("docpipe.db"));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    audit_ = std::move(*a);
  }
  static AuditEvent Event(const std::string& doc, const std::string& type, TimeMs t) {
    AuditEvent e;
    e.document_id = doc;
    e.processing_version = "000001";
    e.event_type = type;
    e.time = t;
    e.worker_id = "w1";
    return e;
  }

  testing::TempDir dir_;
  AuditLogPtr audit_;
};

TEST_F(SqliteAuditLogTest, ListsInTimeOrderWithGeneratedIds) {
  AuditEvent late = Event("d", "STAGE_COMPLETED", kT0 + 2000);
  AuditEvent early = Event("d", "DOCUMENT_RECEIVED", kT0);
  AuditEvent mid = Event("d", "STAGE_STARTED", kT0 + 1000);
  mid.stage = "extract";
  mid.details = {{"attempt", 1}};
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
  EXPECT_EQ(audit_->List("e")->size(), 1u);
  EXPECT_TRUE(audit_->List("none")->empty());
}

TEST_F(SqliteAuditLogTest, SameMillisecondKeepsAppendOrder) {
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

TEST_F(SqliteAuditLogTest, ExplicitIdsAreKeptAndUnique) {
  AuditEvent e = Event("d", "LEASE_EXPIRED", kT0);
  e.event_id = "2026-11-22T04:55:10.000Z#deadbeef";
  ASSERT_TRUE(audit_->Append(e).ok());
  EXPECT_EQ(e.event_id, "2026-11-22T04:55:10.000Z#deadbeef");
  AuditEvent dup = e;
  EXPECT_TRUE(audit_->Append(dup).IsConflict());

  AuditEvent no_time = Event("d", "X", 0);
  EXPECT_EQ(audit_->Append(no_time).code(), Status::Code::kInvalidInput);
  AuditEvent no_doc = Event("", "X", kT0);
  EXPECT_EQ(audit_->Append(no_doc).code(), Status::Code::kInvalidInput);
  AuditEvent huge = Event("d", "STAGE_COMPLETED", kT0);
  huge.details["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(audit_->Append(huge).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(audit_->List("d")->size(), 1u);
}

class SqliteMetricsTableTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.Join("docpipe.db"); }
  testing::TempDir dir_;
};

TEST_F(SqliteMetricsTableTest, AddsGetsAndListsDays) {
  auto m = NewSqliteMetricsTable(db_path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  MetricsTable& t = **m;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 10).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 2.5).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "documents_failed", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-20", "pages", 1).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->size(), 2u);
  EXPECT_DOUBLE_EQ(day->at("pages"), 12.5);
  EXPECT_DOUBLE_EQ(day->at("documents_failed"), 1);
  EXPECT_TRUE(t.GetDay("2026-01-01")->empty());
  auto days = t.ListDays();
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(*days, (std::vector<std::string>{"2026-11-20", "2026-11-22"}));
  EXPECT_EQ(t.Add("", "pages", 1).code(), Status::Code::kInvalidInput);
}

TEST_F(SqliteMetricsTableTest, SetReplacesTheValue) {
  auto m = NewSqliteMetricsTable(db_path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  MetricsTable& t = **m;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 4).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 7).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 3).ok());
  EXPECT_EQ(*t.GetDay("2026-11-22"), (std::map<std::string, double>{{"head_queue_visible", 3}, {"pages", 4}}));
  EXPECT_EQ(t.Set("2026-11-22", "", 1).code(), Status::Code::kInvalidInput);
}

TEST_F(SqliteMetricsTableTest, ConcurrentAddsAreAtomic) {
  constexpr int kThreads = 4, kAdds = 200;
  auto shared = NewSqliteMetricsTable(db_path());
  ASSERT_TRUE(shared.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Half the threads share one adapter, half open their own connection.
      MetricsTablePtr own;
      MetricsTable* t = shared->get();
      if (i % 2 == 1) {
        auto m = NewSqliteMetricsTable(db_path());
        if (!m.ok()) {
          ++failures;
          return;
        }
        own = std::move(*m);
        t = own.get();
      }
      for (int k = 0; k < kAdds; ++k) {
        if (!t->Add("2026-11-22", "chunks", 1).ok()) ++failures;
        if (!t->Add("2026-11-22", "tokens", 0.5).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto day = (*shared)->GetDay("2026-11-22");
  ASSERT_TRUE(day.ok());
  EXPECT_DOUBLE_EQ(day->at("chunks"), kThreads * kAdds);
  EXPECT_DOUBLE_EQ(day->at("tokens"), kThreads * kAdds * 0.5);
}

}  // namespace
}  // namespace docpipe
