// libFuzzer target: the Lambda's event parser (src/lambda/s3_event.h) on
// arbitrary JSON: S3 notifications, EventBridge events, SQS and SNS wrappers.
// Any outcome is fine but a crash, a sanitizer report, or a record that says
// it is an object yet names no bucket or key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lambda/s3_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json event = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return 0;
  docpipe::Result<docpipe::S3Event> parsed = docpipe::ParseS3Event(event);
  if (!parsed.ok()) return 0;
  for (const docpipe::S3EventRecord& r : parsed->records) {
    if (r.kind == docpipe::S3EventRecord::Kind::kObjectCreated && (r.object.bucket.empty() || r.object.key.empty())) {
      std::abort();  // an object without a bucket or key would reach the registrar
    }
    if (r.kind != docpipe::S3EventRecord::Kind::kObjectCreated && r.reason.empty()) std::abort();  // unexplained
  }
  return 0;
}
