#pragma once

#include <string>

#include "app/processing.h"
#include "app/storage.h"
#include "cli/commands.h"

namespace docpipe {

struct WatchOptions {
  std::string folder;
  int64_t settle_ms = 1000;  // --settle-ms
  bool existing = true;      // register what the folder holds at start (--no-existing: only new files)
};

// `docpipe watch DIR`: the embedded shape's S3 event. Registers what DIR
// holds (as `ingest DIR` would: keys input/<DIR name>/<relative path>,
// unchanged files skipped as duplicates), then every file that arrives or
// changes in DIR once it is complete (cli/directory_watcher.h), and
// processes them in this process, until SIGINT/SIGTERM (exit 130). Prints
// one line per registration and per finished document.
int RunWatch(Storage& storage, Processing& processing, const WatchOptions& options, const ShutdownSignal& signal);

}  // namespace docpipe
