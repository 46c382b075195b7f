#include "cli/watch_command.h"

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cli/directory_watcher.h"
#include "cli/file_walk.h"
#include "extract/extractor_registry.h"
#include "pipeline/worker_pool.h"

namespace docpipe {
namespace {

bool Supported(const std::string& path) {
  std::string lower = std::filesystem::path(path).extension().string();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& s : SupportedSuffixes()) {
    if (lower == s) return true;
  }
  return false;
}

}  // namespace

int RunWatch(Storage& storage, Processing& processing, const WatchOptions& options, const ShutdownSignal& signal) {
  Services& sv = storage.services();
  Result<std::unique_ptr<DirectoryWatcher>> opened =
      DirectoryWatcher::Open(options.folder, sv.clock, DirectoryWatcherOptions{options.settle_ms});
  if (!opened.ok()) {
    std::cerr << "docpipe watch: " << opened.status().message() << "\n";
    return opened.status().code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
  }
  DirectoryWatcher& watcher = **opened;
  // Keys as `ingest DIR` makes them, so watching a folder once ingested
  // finds its documents unchanged.
  const std::string prefix = "input/" + std::filesystem::path(watcher.root()).filename().string() + "/";

  WorkerPoolOptions po;
  po.threads = storage.config().workers;
  po.visibility_ms = storage.config().lease_ms;
  po.wait_ms = 250;
  po.worker_id = storage.events().worker_id();
  WorkerPool pool(sv, processing.processor(), po);
  pool.Start();

  std::map<std::pair<std::string, std::string>, std::string> moving;  // (id, version) -> key, until finished
  int failures = 0;
  auto take = [&](const std::string& path, const std::string& key) {
    Result<Registration> reg = storage.registrar().RegisterLocalFile(path, key);
    if (!reg.ok()) {
      // The tables or store failed: say so and go on with the next file.
      std::cerr << "docpipe watch: " << path << ": " << reg.status().ToString() << "\n";
      ++failures;
      return;
    }
    std::cout << fmt::format("{:<11} {} {} {}\n", OutcomeName(reg->outcome), reg->document_id,
                             reg->processing_version, key)
              << std::flush;
    if (reg->outcome == Registration::Outcome::kNew || reg->outcome == Registration::Outcome::kNewVersion) {
      moving[{reg->document_id, reg->processing_version}] = key;
    }
  };

  if (options.existing) {
    Result<WalkResult> existing = CollectInputs({watcher.root()}, SupportedSuffixes());
    if (existing.ok()) {
      for (const InputFile& f : existing->files) {
        // Still being written: its IN_CLOSE_WRITE (the folder is watched
        // already) brings it when it is whole.
        if (OpenForWriting(f.path)) continue;
        take(f.path, f.source_key);
      }
    }
  }
  sv.logger.Info("watch_started", {{"folder", watcher.root()}, {"settle_ms", options.settle_ms},
                                   {"threads", po.threads}});
  std::cerr << "docpipe watch: watching " << watcher.root() << " (Ctrl-C stops)\n";

  int rc = kExitInterrupted;
  std::set<std::string> told_unsupported;
  while (signal.count.load() == 0) {
    Result<std::vector<std::string>> ready = watcher.Poll(250);
    if (!ready.ok()) {
      std::cerr << "docpipe watch: " << ready.status().message() << "\n";
      rc = kExitFailed;
      break;
    }
    for (const std::string& path : *ready) {
      const std::string rel = std::filesystem::relative(path, watcher.root()).string();
      if (!Supported(path)) {
        if (told_unsupported.insert(path).second) {
          std::cerr << "docpipe watch: " << rel << ": unsupported file type, skipped\n";
        }
        continue;
      }
      take(path, prefix + rel);
    }
    // Report finished documents.
    for (auto it = moving.begin(); it != moving.end();) {
      Result<ControlRecord> r = sv.control.Get(it->first.first, it->first.second);
      if (r.ok() && (r->status == DocStatus::kCompleted || r->status == DocStatus::kFailed ||
                     r->status == DocStatus::kSuperseded)) {
        std::cout << fmt::format("{:<11} {} {} {} pages {} chunks{}\n", DocStatusName(r->status), r->document_id,
                                 r->processing_version, r->page_count, r->chunk_count,
                                 r->status == DocStatus::kFailed ? "  error: " + r->last_error : "")
                  << std::flush;
        it = moving.erase(it);
      } else {
        ++it;
      }
    }
  }
  pool.StopReceiving();
  pool.Join();
  sv.logger.Info("watch_stopped", {{"folder", watcher.root()}, {"processed", pool.Processed()},
                                   {"registration_failures", failures}});
  return rc;
}

}  // namespace docpipe
