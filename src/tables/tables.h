#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "tables/control_record.h"

namespace docpipe {

// The control table: one record per (document_id, processing_version).
// All writes are conditional so concurrent workers (threads or processes)
// cannot overwrite each other. Thread-safe.
class ControlTable {
 public:
  virtual ~ControlTable() = default;
  //! Inserts `record` with revision 1 (record.revision is set).
  //! Conflict when that document version already exists.
  virtual Status Create(ControlRecord& record) = 0;
  //! NotFound when absent.
  virtual Result<ControlRecord> Get(const std::string& document_id, const std::string& version) = 0;
  //! The highest processing_version of the document. NotFound when none.
  virtual Result<ControlRecord> GetLatest(const std::string& document_id) = 0;
  //! Replaces the stored record if its revision still equals
  //! `record.revision`; then bumps record.revision. Conflict when the stored
  //! revision differs (someone else wrote first); NotFound when absent.
  virtual Status Update(ControlRecord& record) = 0;
  //! Records with `status` (all when nullopt), most recently updated first.
  virtual Result<std::vector<ControlRecord>> List(std::optional<DocStatus> status, int limit) = 0;
  //! Every version of one document, ascending.
  virtual Result<std::vector<ControlRecord>> ListVersions(const std::string& document_id) = 0;
  //! Removes one version; OK when absent.
  virtual Status Delete(const std::string& document_id, const std::string& version) = 0;
};

// Append-only audit trail, one event per transition. Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  //! Appends; event.event_id is filled when empty.
  virtual Status Append(AuditEvent& event) = 0;
  //! Events of one document in time order.
  virtual Result<std::vector<AuditEvent>> List(const std::string& document_id) = 0;
};

// Daily counters: (date "YYYY-MM-DD", metric) -> number. Adds are atomic so
// concurrent workers can count into the same row. Thread-safe.
class MetricsTable {
 public:
  virtual ~MetricsTable() = default;
  //! Atomically adds `delta` to the metric (created at 0 when absent).
  virtual Status Add(const std::string& date, const std::string& metric, double delta) = 0;
  //! Sets the metric to `value`, replacing what it held (figures the head
  //! service recomputes, so writing them again is idempotent).
  virtual Status Set(const std::string& date, const std::string& metric, double value) = 0;
  //! All metrics of one day (empty map when none).
  virtual Result<std::map<std::string, double>> GetDay(const std::string& date) = 0;
  //! Days that have metrics, ascending.
  virtual Result<std::vector<std::string>> ListDays() = 0;
};

using ControlTablePtr = std::unique_ptr<ControlTable>;
using AuditLogPtr = std::unique_ptr<AuditLog>;
using MetricsTablePtr = std::unique_ptr<MetricsTable>;

}  // namespace docpipe
