#include "cli/lambda_command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "extract/extractor_registry.h"
#include "http/curl_http_client.h"
#include "http/http_client.h"
#include "lambda/lambda_runtime.h"
#include "lambda/s3_event_handler.h"

namespace docpipe {
namespace {

constexpr const char* kRuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

S3EventHandlerOptions HandlerOptions(const LambdaCommandOptions& o, const Config& config) {
  S3EventHandlerOptions h;
  h.expected_bucket = o.bucket.empty() ? config.aws.bucket : o.bucket;
  h.suffixes = SupportedSuffixes();
  return h;
}

std::string Dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int HandleEventFile(S3EventHandler& handler, Logger& log, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "docpipe lambda: cannot read event file " << path << "\n";
    return kExitUsage;
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<S3EventSummary> summary = handler.HandleText(text.str(), log);
  if (!summary.ok()) {
    std::cerr << "docpipe lambda: " << path << ": " << summary.status().message() << "\n";
    return kExitFailed;
  }
  std::cout << Dump(summary->ToJson(), 2) << "\n";
  if (!summary->ok()) {
    std::cerr << "docpipe lambda: " << summary->FailureMessage() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

bool CheckLambdaEnvironment(const LambdaCommandOptions& o, const Environment& env) {
  if (!ServesRuntimeApi(o) || EnvLookup(env, kRuntimeApiVariable) != nullptr) return true;
  std::cerr << "docpipe lambda: " << kRuntimeApiVariable
            << " is not set: the runtime loop only runs inside AWS Lambda (or an emulator). "
               "To handle one S3 event locally use: docpipe lambda --event FILE\n";
  return false;
}

void AdaptConfigForLambda(const LambdaCommandOptions& o, Config& config) {
  config.log_stderr = true;
  config.iam_role = "lambda";  // the stack's Lambda role bounds its AWS calls
  if (ServesRuntimeApi(o) && config.workspace == Config{}.workspace) config.workspace = "/tmp/docpipe";
}

void ReportLambdaInitError(const LambdaCommandOptions& o, const Environment& env,
                           const std::string& message) {
  const std::string* api = EnvLookup(env, kRuntimeApiVariable);
  if (!ServesRuntimeApi(o) || api == nullptr) return;
  HttpClientPtr http = NewCurlHttpClient();
  LambdaRuntimeApi runtime_api(*http, *api);
  Status st = runtime_api.ReportInitError("Runtime.InitError", message);
  if (!st.ok()) std::cerr << "docpipe lambda: could not report the init error: " << st.ToString() << "\n";
}

int RunLambda(Storage& storage, const LambdaCommandOptions& o, const Environment& env,
              const ShutdownSignal& signal) {
  Services& sv = storage.services();
  S3EventHandler handler(storage.registrar(), HandlerOptions(o, storage.config()));
  if (!ServesRuntimeApi(o)) return HandleEventFile(handler, sv.logger, o.event_file);

  const std::string* api_address = EnvLookup(env, kRuntimeApiVariable);
  if (api_address == nullptr) {
    CheckLambdaEnvironment(o, env);  // prints what is missing
    return kExitUsage;
  }
  HttpClientPtr http = NewCurlHttpClient();
  LambdaRuntimeApi api(*http, *api_address);
  LambdaRuntimeOptions options;
  options.max_invocations = o.max_invocations;
  auto stop = [&] { return signal.count.load() > 0; };
  Status st = RunLambdaLoop(api, sv.clock, sv.logger, options, MakeS3LambdaHandler(handler), stop);
  if (!st.ok()) {
    std::cerr << "docpipe lambda: " << st.ToString() << "\n";
    return kExitFailed;
  }
  return stop() ? kExitInterrupted : kExitOk;
}

}  // namespace docpipe
