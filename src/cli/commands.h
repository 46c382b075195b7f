#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "app/runtime.h"

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
int RunIngest(Runtime& rt, const IngestOptions& options, const ShutdownSignal& signal);

struct WorkerOptions {
  bool drain = false;
  std::string health_file;  // touched about once a second while the worker runs ("" = none)
};
int RunWorker(Runtime& rt, const WorkerOptions& options, const ShutdownSignal& signal);

struct StatusOptions {
  std::string document_id;  // "" = all documents
  std::string status;       // filter, "" = any
  bool all_versions = false;
  bool json = false;
};
int RunStatus(Runtime& rt, const StatusOptions& options);

int RunAudit(Runtime& rt, const std::string& document_id, bool json);

struct RetryOptions {
  std::vector<std::string> document_ids;
  bool all_failed = false;
  bool wait = true;
  bool json = false;
};
int RunRetry(Runtime& rt, const RetryOptions& options, const ShutdownSignal& signal);

int RunMetrics(Runtime& rt, const std::string& date, bool json);

struct SearchCommandOptions {
  std::string query;
  int k = 5;
  std::string document_id;
  std::string mode = "hybrid";
  bool json = false;
};
int RunSearchCommand(Runtime& rt, const SearchCommandOptions& options);

int RunDelete(Runtime& rt, const std::vector<std::string>& document_ids, bool json);

}  // namespace docpipe
