#pragma once

#include <string>

#include "app/storage.h"
#include "cli/commands.h"
#include "config/config.h"

namespace docpipe {

struct LambdaCommandOptions {
  std::string event_file;   // "" = serve the Lambda Runtime API
  std::string bucket;       // the store's bucket; "" = the configured one (S3_BUCKET), else any
  int max_invocations = 0;  // stop after this many (tests); 0 = until SIGTERM
};

// Whether `docpipe lambda` will talk to the Runtime API (no --event).
inline bool ServesRuntimeApi(const LambdaCommandOptions& o) { return o.event_file.empty(); }

// Checks what `docpipe lambda` needs before the workspace is opened:
// AWS_LAMBDA_RUNTIME_API when serving the Runtime API. Prints the problem and
// returns false when something is missing.
bool CheckLambdaEnvironment(const LambdaCommandOptions& o, const Environment& env);

// What `docpipe lambda` changes in the loaded configuration: logs on stderr
// (Lambda captures it; --event prints its summary on stdout), and, when
// serving the Runtime API, a workspace left at its default moves to
// /tmp/docpipe, since /tmp is the only writable place in a Lambda sandbox.
void AdaptConfigForLambda(const LambdaCommandOptions& o, Config& config);

// Tells the Runtime API that the function could not start (init/error), when
// serving it; logs and ignores a failure to do so, the exit says it anyway.
void ReportLambdaInitError(const LambdaCommandOptions& o, const Environment& env, const std::string& message);

// `docpipe lambda`: with --event, handles that S3 event file once and prints
// the summary JSON (exit 0 when no record failed, 1 otherwise); without, runs
// the custom-runtime loop (bootstrap of a provided.al2023 function) until
// SIGTERM or max_invocations.
int RunLambda(Storage& storage, const LambdaCommandOptions& o, const Environment& env,
              const ShutdownSignal& signal);

}  // namespace docpipe
