#include "support/pipeline_workspace.h"

#include <gtest/gtest.h>

#include "object_store/local_object_store.h"
#include "tables/sqlite_tables.h"

namespace docpipe::testing {

void Faults::Fail(const std::string& operation, Status status, int times) {
  std::lock_guard lock(mu_);
  faults_[operation] = {std::move(status), times};
}

void Faults::Clear() {
  std::lock_guard lock(mu_);
  faults_.clear();
  hooks_.clear();
}

void Faults::OnCall(const std::string& operation, std::function<void()> hook) {
  std::lock_guard lock(mu_);
  hooks_[operation] = std::move(hook);
}

Status Faults::Check(const std::string& operation) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    if (auto h = hooks_.find(operation); h != hooks_.end()) hook = h->second;
  }
  if (hook) hook();  // unlocked: the hook may call the adapters itself
  std::lock_guard lock(mu_);
  ++calls_[operation];
  auto it = faults_.find(operation);
  if (it == faults_.end()) return Status::Ok();
  Status st = it->second.status;
  if (it->second.times > 0 && --it->second.times == 0) faults_.erase(it);
  return st;
}

int Faults::Calls(const std::string& operation) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

void CapturingLogger::Log(LogLevel level, const std::string& event, nlohmann::json fields) {
  fields["event"] = event;
  fields["level"] = static_cast<int>(level);
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(fields));
}

std::vector<nlohmann::json> CapturingLogger::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::vector<nlohmann::json> CapturingLogger::Lines(const std::string& event) const {
  std::vector<nlohmann::json> out;
  for (nlohmann::json& line : lines()) {
    if (line.value("event", "") == event) out.push_back(std::move(line));
  }
  return out;
}

namespace {

// Each call first asks the Faults whether to fail, then forwards.
#define DOCPIPE_FAULT(op)                                      \
  do {                                                         \
    if (Status fault_ = faults_.Check(op); !fault_.ok()) return fault_; \
  } while (0)

class FaultyObjectStore final : public ObjectStore {
 public:
  FaultyObjectStore(ObjectStore& inner, Faults& faults) : inner_(inner), faults_(faults) {}
  Status Put(const std::string& key, std::string_view data) override {
    DOCPIPE_FAULT("store.Put");
    return inner_.Put(key, data);
  }
  Status PutFile(const std::string& key, const std::string& path) override {
    DOCPIPE_FAULT("store.PutFile");
    return inner_.PutFile(key, path);
  }
  Result<std::string> Get(const std::string& key) override {
    DOCPIPE_FAULT("store.Get");
    return inner_.Get(key);
  }
  Result<std::string> GetRange(const std::string& key, int64_t offset, int64_t length) override {
    DOCPIPE_FAULT("store.GetRange");
    return inner_.GetRange(key, offset, length);
  }
  Result<ObjectInfo> Head(const std::string& key) override {
    DOCPIPE_FAULT("store.Head");
    return inner_.Head(key);
  }
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    DOCPIPE_FAULT("store.List");
    return inner_.List(prefix);
  }
  Status Delete(const std::string& key) override {
    DOCPIPE_FAULT("store.Delete");
    return inner_.Delete(key);
  }
  Result<LocalFile> Fetch(const std::string& key) override {
    DOCPIPE_FAULT("store.Fetch");
    return inner_.Fetch(key);
  }

 private:
  ObjectStore& inner_;
  Faults& faults_;
};

class FaultyControlTable final : public ControlTable {
 public:
  FaultyControlTable(ControlTable& inner, Faults& faults) : inner_(inner), faults_(faults) {}
  Status Create(ControlRecord& record) override {
    DOCPIPE_FAULT("control.Create");
    return inner_.Create(record);
  }
  Result<ControlRecord> Get(const std::string& id, const std::string& version) override {
    DOCPIPE_FAULT("control.Get");
    return inner_.Get(id, version);
  }
  Result<ControlRecord> GetLatest(const std::string& id) override {
    DOCPIPE_FAULT("control.GetLatest");
    return inner_.GetLatest(id);
  }
  Status Update(ControlRecord& record) override {
    DOCPIPE_FAULT("control.Update");
    return inner_.Update(record);
  }
  Result<std::vector<ControlRecord>> List(std::optional<DocStatus> status, int limit) override {
    DOCPIPE_FAULT("control.List");
    return inner_.List(status, limit);
  }
  Result<std::vector<ControlRecord>> ListVersions(const std::string& id) override {
    DOCPIPE_FAULT("control.ListVersions");
    return inner_.ListVersions(id);
  }
  Status Delete(const std::string& id, const std::string& version) override {
    DOCPIPE_FAULT("control.Delete");
    return inner_.Delete(id, version);
  }
  Result<DocumentListPage> ListDocuments(const DocumentListQuery& query) override {
    DOCPIPE_FAULT("control.ListDocuments");
    return inner_.ListDocuments(query);
  }
  Result<std::vector<ControlRow>> ListLatestRows(std::optional<DocStatus> status) override {
    DOCPIPE_FAULT("control.ListLatestRows");
    return inner_.ListLatestRows(status);
  }
  Result<ControlSummary> Summarize() override {
    DOCPIPE_FAULT("control.Summarize");
    return inner_.Summarize();
  }

 private:
  ControlTable& inner_;
  Faults& faults_;
};

class FaultyAuditLog final : public AuditLog {
 public:
  FaultyAuditLog(AuditLog& inner, Faults& faults) : inner_(inner), faults_(faults) {}
  Status Append(AuditEvent& event) override {
    DOCPIPE_FAULT("audit.Append");
    return inner_.Append(event);
  }
  Result<std::vector<AuditEvent>> List(const std::string& id) override {
    DOCPIPE_FAULT("audit.List");
    return inner_.List(id);
  }
  Result<AuditPage> ListPage(const AuditPageQuery& query) override {
    DOCPIPE_FAULT("audit.ListPage");
    return inner_.ListPage(query);
  }
  Result<std::vector<AuditCount>> Count(const AuditCountQuery& query) override {
    DOCPIPE_FAULT("audit.Count");
    return inner_.Count(query);
  }

 private:
  AuditLog& inner_;
  Faults& faults_;
};

class FaultyMetricsTable final : public MetricsTable {
 public:
  FaultyMetricsTable(MetricsTable& inner, Faults& faults) : inner_(inner), faults_(faults) {}
  Status Add(const std::string& date, const std::string& metric, double delta) override {
    DOCPIPE_FAULT("metrics.Add");
    DOCPIPE_RETURN_IF_ERROR(inner_.Add(date, metric, delta));
    DOCPIPE_FAULT("metrics.Add.after");
    return Status::Ok();
  }
  Status AddOnce(const std::string& date, const std::string& fact,
                 const std::map<std::string, double>& deltas) override {
    DOCPIPE_FAULT("metrics.AddOnce");
    DOCPIPE_RETURN_IF_ERROR(inner_.AddOnce(date, fact, deltas));
    DOCPIPE_FAULT("metrics.AddOnce.after");
    return Status::Ok();
  }
  Status Set(const std::string& date, const std::string& metric, double value) override {
    DOCPIPE_FAULT("metrics.Set");
    return inner_.Set(date, metric, value);
  }
  Result<std::map<std::string, double>> GetDay(const std::string& date) override {
    DOCPIPE_FAULT("metrics.GetDay");
    return inner_.GetDay(date);
  }
  Result<std::vector<std::string>> ListDays() override {
    DOCPIPE_FAULT("metrics.ListDays");
    return inner_.ListDays();
  }

 private:
  MetricsTable& inner_;
  Faults& faults_;
};

class FaultyWorkQueue final : public WorkQueue {
 public:
  FaultyWorkQueue(WorkQueue& inner, Faults& faults) : inner_(inner), faults_(faults) {}
  Status Send(const std::string& body, int64_t delay_ms) override {
    DOCPIPE_FAULT("queue.Send");
    return inner_.Send(body, delay_ms);
  }
  Result<std::vector<QueueMessage>> Receive(int max, int64_t visibility_ms, int64_t wait_ms) override {
    DOCPIPE_FAULT("queue.Receive");
    return inner_.Receive(max, visibility_ms, wait_ms);
  }
  Status ChangeVisibility(const std::string& handle, int64_t visibility_ms) override {
    DOCPIPE_FAULT("queue.ChangeVisibility");
    return inner_.ChangeVisibility(handle, visibility_ms);
  }
  Status Delete(const std::string& handle) override {
    DOCPIPE_FAULT("queue.Delete");
    return inner_.Delete(handle);
  }
  Result<QueueStats> Stats() override {
    DOCPIPE_FAULT("queue.Stats");
    return inner_.Stats();
  }
  Result<std::optional<bool>> HasMessage(const std::string& body) override {
    DOCPIPE_FAULT("queue.HasMessage");
    return inner_.HasMessage(body);
  }
  Result<std::vector<QueueMessage>> PeekDeadLetters(int max) override {
    DOCPIPE_FAULT("queue.PeekDeadLetters");
    return inner_.PeekDeadLetters(max);
  }
  Status DeleteDeadLetter(const std::string& handle) override {
    DOCPIPE_FAULT("queue.DeleteDeadLetter");
    return inner_.DeleteDeadLetter(handle);
  }

 private:
  WorkQueue& inner_;
  Faults& faults_;
};

#undef DOCPIPE_FAULT

template <typename T>
std::unique_ptr<T> Opened(Result<std::unique_ptr<T>> made, const char* what) {
  EXPECT_TRUE(made.ok()) << what << ": " << made.status().ToString();
  return made.ok() ? std::move(*made) : nullptr;
}

}  // namespace

PipelineWorkspace::PipelineWorkspace(Clock& clock, SqliteWorkQueueOptions queue_options) {
  const std::string db = dir_.Join("docpipe.db");
  store_ = Opened(NewLocalObjectStore(dir_.Join("store")), "object store");
  control_ = Opened(NewSqliteControlTable(db), "control table");
  audit_ = Opened(NewSqliteAuditLog(db), "audit log");
  metrics_ = Opened(NewSqliteMetricsTable(db), "metrics table");
  queue_ = Opened(NewSqliteWorkQueue(db, clock, queue_options), "work queue");
  faulty_store_ = std::make_unique<FaultyObjectStore>(*store_, faults_);
  faulty_control_ = std::make_unique<FaultyControlTable>(*control_, faults_);
  faulty_audit_ = std::make_unique<FaultyAuditLog>(*audit_, faults_);
  faulty_metrics_ = std::make_unique<FaultyMetricsTable>(*metrics_, faults_);
  faulty_queue_ = std::make_unique<FaultyWorkQueue>(*queue_, faults_);
  services_ = std::make_unique<Services>(Services{clock, logger_, *faulty_store_, *faulty_control_, *faulty_audit_,
                                                  *faulty_metrics_, *faulty_queue_});
}

PipelineWorkspace::~PipelineWorkspace() = default;

int PipelineWorkspace::CountAudit(const std::string& document_id, const std::string& type) {
  Result<std::vector<AuditEvent>> events = audit_->List(document_id);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  int n = 0;
  if (events.ok()) {
    for (const AuditEvent& e : *events) n += e.event_type == type;
  }
  return n;
}

double PipelineWorkspace::Metric(const std::string& name) {
  Result<std::map<std::string, double>> day = metrics_->GetDay(FormatDate(services_->clock.NowMs()));
  EXPECT_TRUE(day.ok()) << day.status().ToString();
  if (!day.ok()) return 0;
  auto it = day->find(name);
  return it == day->end() ? 0 : it->second;
}

Result<StageResult> ScriptedStage::Run(const StageContext& ctx) {
  ++runs;
  if (during) during(ctx);
  if (!result.ok()) return result;
  StageResult r;
  r.output_key = name_ + "/" + ctx.record.document_id;
  r.pages = 3;
  return r;
}

}  // namespace docpipe::testing
