#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/logger.h"
#include "pipeline/services.h"
#include "pipeline/stage.h"
#include "queue/sqlite_work_queue.h"
#include "support/test_util.h"

namespace docpipe::testing {

// Makes chosen operations of the adapters in a PipelineWorkspace fail, to
// test what the pipeline does when a table, the store or the queue returns
// an error. Operations are named "<port>.<Method>": "control.Create",
// "audit.Append", "metrics.Add", "store.Put", "queue.Send", ... Thread-safe.
// "metrics.Add.after" and "metrics.AddOnce.after" fail a call after it was
// done, as a lost answer does (the fault proxy's reset-after).
class Faults {
 public:
  //! The next `times` calls of `operation` (every call when < 0) fail with `status`.
  void Fail(const std::string& operation, Status status, int times = -1);
  void Clear();
  //! For the adapters: the error this call of `operation` returns (OK: none).
  Status Check(const std::string& operation);
  //! Calls of `operation` so far, failed or not.
  int Calls(const std::string& operation) const;
  //! Runs `hook` at every call of `operation`, before the call is made
  //! (e.g. to let fake time pass, as a slow service does).
  void OnCall(const std::string& operation, std::function<void()> hook);

 private:
  struct Fault {
    Status status;
    int times = -1;
  };
  mutable std::mutex mu_;
  std::map<std::string, Fault> faults_;
  std::map<std::string, int> calls_;
  std::map<std::string, std::function<void()>> hooks_;
};

// Keeps every log line as JSON (its fields with "event" and "level" added).
class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel level, const std::string& event, nlohmann::json fields) override;
  std::vector<nlohmann::json> lines() const;
  //! The lines of one event.
  std::vector<nlohmann::json> Lines(const std::string& event) const;

 private:
  mutable std::mutex mu_;
  std::vector<nlohmann::json> lines_;
};

// The embedded adapters on a temporary workspace (a local object store; the
// tables and the queue in one SQLite database) behind Faults, with Services
// over them on the given clock. real_*() reach the adapters behind the
// faults, to arrange and check what is stored.
class PipelineWorkspace {
 public:
  explicit PipelineWorkspace(Clock& clock, SqliteWorkQueueOptions queue_options = {});
  ~PipelineWorkspace();
  PipelineWorkspace(const PipelineWorkspace&) = delete;
  PipelineWorkspace& operator=(const PipelineWorkspace&) = delete;

  Services& services() { return *services_; }
  Faults& faults() { return faults_; }
  CapturingLogger& logger() { return logger_; }
  const TempDir& dir() const { return dir_; }

  ObjectStore& real_store() { return *store_; }
  ControlTable& real_control() { return *control_; }
  AuditLog& real_audit() { return *audit_; }
  MetricsTable& real_metrics() { return *metrics_; }
  WorkQueue& real_queue() { return *queue_; }

  //! Audit events of `type` for one document.
  int CountAudit(const std::string& document_id, const std::string& type);
  //! Today's (on the clock) value of one metric; 0 when absent.
  double Metric(const std::string& name);

 private:
  TempDir dir_;
  Faults faults_;
  CapturingLogger logger_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<ControlTable> control_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<MetricsTable> metrics_;
  std::unique_ptr<WorkQueue> queue_;
  std::unique_ptr<ObjectStore> faulty_store_;
  std::unique_ptr<ControlTable> faulty_control_;
  std::unique_ptr<AuditLog> faulty_audit_;
  std::unique_ptr<MetricsTable> faulty_metrics_;
  std::unique_ptr<WorkQueue> faulty_queue_;
  std::unique_ptr<Services> services_;
};

// A stage whose behaviour each test scripts: `during` runs first (to block,
// advance a clock or change the tables mid-stage), then `result` is returned
// (an output of 3 pages when OK). Thread-safe as long as the script is set
// before the stage runs.
class ScriptedStage final : public Stage {
 public:
  explicit ScriptedStage(std::string name) : name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  Result<StageResult> Run(const StageContext& ctx) override;

  std::function<void(const StageContext&)> during;
  Status result;
  std::atomic<int> runs{0};

 private:
  std::string name_;
};

}  // namespace docpipe::testing
