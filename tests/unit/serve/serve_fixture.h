#pragma once

// Shared by the serve unit tests: the embedded adapters on a fake clock, with
// switchable faults in front of the control table and the queue. Everything
// here has internal linkage (an anonymous namespace), so the two test files
// that include it cannot clash.

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "common/logger.h"
#include "embed/embedder.h"
#include "embed/local_embedder.h"
#include "index/local_vector_index.h"
#include "index/vector_index.h"
#include "object_store/local_object_store.h"
#include "object_store/object_store.h"
#include "pipeline/event_recorder.h"
#include "pipeline/registrar.h"
#include "queue/sqlite_work_queue.h"
#include "serve/head_duties.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"

namespace docpipe {
namespace {

// Forwards to the SQLite control table; `fail` makes every call Unavailable.
class SwitchableControlTable final : public ControlTable {
 public:
  explicit SwitchableControlTable(ControlTable& inner) : inner_(inner) {}
  Status Create(ControlRecord& r) override { return fail ? Down() : inner_.Create(r); }
  Result<ControlRecord> Get(const std::string& id, const std::string& v) override {
    if (fail) return Down();
    return inner_.Get(id, v);
  }
  Result<ControlRecord> GetLatest(const std::string& id) override {
    if (fail) return Down();
    return inner_.GetLatest(id);
  }
  Status Update(ControlRecord& r) override { return fail ? Down() : inner_.Update(r); }
  Result<std::vector<ControlRecord>> List(std::optional<DocStatus> s, int limit) override {
    if (fail) return Down();
    return inner_.List(s, limit);
  }
  Result<std::vector<ControlRecord>> ListVersions(const std::string& id) override {
    if (fail) return Down();
    return inner_.ListVersions(id);
  }
  Status Delete(const std::string& id, const std::string& v) override { return fail ? Down() : inner_.Delete(id, v); }
  Result<DocumentListPage> ListDocuments(const DocumentListQuery& q) override {
    if (fail) return Down();
    return inner_.ListDocuments(q);
  }
  Result<ControlSummary> Summarize() override {
    if (fail) return Down();
    return inner_.Summarize();
  }
  Result<std::vector<ControlRow>> ListLatestRows(std::optional<DocStatus> s) override {
    if (fail) return Down();
    return inner_.ListLatestRows(s);
  }

  bool fail = false;

 private:
  static Status Down() { return Status::Unavailable("control table down (test)"); }
  ControlTable& inner_;
};

// Forwards to the SQLite queue; `blind` makes HasMessage answer "cannot
// tell", as SQS does.
class SwitchableQueue final : public WorkQueue {
 public:
  explicit SwitchableQueue(WorkQueue& inner) : inner_(inner) {}
  Status Send(const std::string& body, int64_t delay_ms) override {
    ++sends;
    return inner_.Send(body, delay_ms);
  }
  Result<std::vector<QueueMessage>> Receive(int max, int64_t visibility_ms, int64_t wait_ms) override {
    return inner_.Receive(max, visibility_ms, wait_ms);
  }
  Status ChangeVisibility(const std::string& h, int64_t v) override { return inner_.ChangeVisibility(h, v); }
  Status Delete(const std::string& h) override { return inner_.Delete(h); }
  Result<QueueStats> Stats() override { return inner_.Stats(); }
  Result<std::optional<bool>> HasMessage(const std::string& body) override {
    if (blind) return std::optional<bool>();
    return inner_.HasMessage(body);
  }
  Result<std::vector<QueueMessage>> PeekDeadLetters(int max) override { return inner_.PeekDeadLetters(max); }
  Status DeleteDeadLetter(const std::string& h) override { return inner_.DeleteDeadLetter(h); }

  bool blind = false;
  int sends = 0;

 private:
  WorkQueue& inner_;
};

// Keeps every log line, to check what reaches the logs.
class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel, const std::string& event, nlohmann::json fields) override {
    fields["event"] = event;
    std::lock_guard lock(mu_);
    lines_.push_back(fields.dump());
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

class ServeFixture : public ::testing::Test {
 protected:
  static constexpr int64_t kLeaseMs = 10'000;
  static constexpr int64_t kGraceMs = 10'000;

  void SetUp() override {
    store_ = *NewLocalObjectStore(dir_.Join("store"));
    const std::string db = dir_.Join("docpipe.db");
    sqlite_control_ = *NewSqliteControlTable(db);
    audit_ = *NewSqliteAuditLog(db);
    metrics_ = *NewSqliteMetricsTable(db);
    sqlite_queue_ = *NewSqliteWorkQueue(db, clock_, SqliteWorkQueueOptions{});
    control_ = std::make_unique<SwitchableControlTable>(*sqlite_control_);
    queue_ = std::make_unique<SwitchableQueue>(*sqlite_queue_);
    services_ = std::make_unique<Services>(Services{clock_, logger_, *store_, *control_, *audit_, *metrics_, *queue_});
    events_ = std::make_unique<EventRecorder>(*services_, "head-test", 0);
    embedder_ = NewLocalEmbedder({64, 1});
    LocalVectorIndexOptions io;
    io.directory = dir_.Join("index");
    io.dimension = 64;
    index_ = *NewLocalVectorIndex(io);
    HeadOptions ho;
    ho.grace_ms = kGraceMs;
    head_ = std::make_unique<HeadDuties>(*services_, *events_, ho);
  }

  Registration Register(const std::string& name, const std::string& text = "# Title\n\nSome text.\n") {
    testing::WriteFile(dir_.Join("src/" + name), text);
    Registrar registrar(*services_, *events_, 3);
    Result<Registration> r = registrar.RegisterLocalFile(dir_.Join("src/" + name), "input/" + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  ControlRecord Record(const Registration& reg) { return *sqlite_control_->Get(reg.document_id, reg.processing_version); }

  // Writes `mutate` into the stored record (as a worker would).
  void Change(const Registration& reg, const std::function<void(ControlRecord&)>& mutate) {
    ControlRecord r = Record(reg);
    mutate(r);
    ASSERT_TRUE(sqlite_control_->Update(r).ok());
  }

  // A version a worker claimed (its message received, lease kLeaseMs from
  // now); `lose_message` also deletes the message, as if it had been lost.
  Registration Claimed(const std::string& name, bool lose_message) {
    Registration reg = Register(name);
    Result<std::vector<QueueMessage>> got = sqlite_queue_->Receive(1, kLeaseMs, 0);
    EXPECT_TRUE(got.ok() && got->size() == 1);
    if (lose_message && got.ok() && !got->empty()) {
      EXPECT_TRUE(sqlite_queue_->Delete(got->front().receipt_handle).ok());
    }
    Change(reg, [&](ControlRecord& r) {
      r.status = DocStatus::kInProgress;
      r.current_stage = "chunk";
      r.stage_status["extract"].status = StageState::kCompleted;
      r.stage_status["chunk"].status = StageState::kInProgress;
      r.lease_owner = "dead-worker:1";
      r.lease_expires_at = clock_.NowMs() + kLeaseMs;
    });
    return reg;
  }

  int CountAudit(const std::string& id, const std::string& type) {
    int n = 0;
    for (const AuditEvent& e : *audit_->List(id)) n += e.event_type == type;
    return n;
  }

  int64_t QueuedMessages() {
    QueueStats s = *sqlite_queue_->Stats();
    return s.visible + s.in_flight + s.delayed;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  CapturingLogger logger_;
  ObjectStorePtr store_;
  ControlTablePtr sqlite_control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
  WorkQueuePtr sqlite_queue_;
  std::unique_ptr<SwitchableControlTable> control_;
  std::unique_ptr<SwitchableQueue> queue_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<EventRecorder> events_;
  EmbedderPtr embedder_;
  VectorIndexPtr index_;
  std::unique_ptr<HeadDuties> head_;
};

}  // namespace
}  // namespace docpipe
