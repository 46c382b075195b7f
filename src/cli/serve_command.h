#pragma once

#include "app/processing.h"
#include "app/retrieval.h"
#include "app/storage.h"
#include "cli/commands.h"
#include "config/config.h"

namespace docpipe {

struct ServeOptions {
  bool insecure_no_auth = false;  // serve without a token when none is configured (logged as a warning)
  bool once = false;              // run the head duties once, print a JSON report, exit (no HTTP)
};

// `docpipe serve`: the HTTP API on config().serve.bind:port and the head
// duties every serve.head_interval_ms, until SIGINT/SIGTERM (exit 130).
// The bearer token comes from DOCPIPE_API_TOKEN or the Secrets Manager
// secret named by DOCPIPE_API_TOKEN_SECRET_ARN; without one it refuses to
// start (exit 2) unless options.insecure_no_auth, which is refused (exit 2)
// unless the bind address is a loopback one (IsLoopbackAddress). `--once` opens only the
// storage; serving HTTP also opens the embedder and the index (searches).
// With `processing` (the embedded shape, unless --no-workers) it also runs a
// worker pool, so uploads and retries from the dashboard are processed.
int RunServe(Storage& storage, Retrieval& retrieval, Processing* processing, const ServeOptions& options,
             const ShutdownSignal& signal);

// Whether a listen address reaches only this machine: 127.0.0.0/8, ::1,
// ::ffff:127.x.y.z, or the name "localhost". Anything else (0.0.0.0, ::, a
// LAN address, another host name) is reachable from outside.
bool IsLoopbackAddress(const std::string& bind);

}  // namespace docpipe
