#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "app/processing.h"
#include "app/retrieval.h"
#include "app/storage.h"

namespace docpipe {

// Exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // a document failed, or a command could not do its job
inline constexpr int kExitUsage = 2;        // bad arguments or configuration
inline constexpr int kExitInterrupted = 130;

// Signals seen so far (SIGINT/SIGTERM); set by main's handler, read by commands.
struct ShutdownSignal {
  std::atomic<int> count{0};
};

struct IngestOptions {
  std::vector<std::string> paths;
  bool json = false;
};
int RunIngest(Storage& storage, Processing& processing, const IngestOptions& options, const ShutdownSignal& signal);

struct WorkerOptions {
  bool drain = false;
  std::string health_file;  // touched about once a second while the worker runs ("" = none)
};
int RunWorker(Storage& storage, Processing& processing, const WorkerOptions& options, const ShutdownSignal& signal);

struct StatusOptions {
  std::string document_id;  // "" = all documents
  std::string status;       // filter, "" = any
  bool all_versions = false;
  bool json = false;
};
int RunStatus(ControlTable& control, const StatusOptions& options);

int RunAudit(AuditLog& audit, const std::string& document_id, bool json);

struct RetryOptions {
  std::vector<std::string> document_ids;
  bool all_failed = false;
  bool wait = true;
  bool json = false;
};
//! `processing` processes the requeued documents; null with --no-wait,
//! which only requeues (and so opens nothing but the storage).
int RunRetry(Storage& storage, Processing* processing, const RetryOptions& options, const ShutdownSignal& signal);

int RunMetrics(MetricsTable& metrics, const std::string& date, bool json);

struct SearchCommandOptions {
  std::string query;
  int k = 5;
  std::string document_id;
  std::string mode = "hybrid";
  bool json = false;
};
//! Opens the embedder only for the modes that embed the query.
int RunSearchCommand(Retrieval& retrieval, const SearchCommandOptions& options);

//! Opens the vector index only for documents it may hold (DeleteDocument).
int RunDelete(Storage& storage, Retrieval& retrieval, const std::vector<std::string>& document_ids, bool json);

}  // namespace docpipe
