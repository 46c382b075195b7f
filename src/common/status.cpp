#include "common/status.h"

namespace docpipe {

const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kNotFound: return "NotFound";
    case Status::Code::kConflict: return "Conflict";
    case Status::Code::kInvalidInput: return "InvalidInput";
    case Status::Code::kUnavailable: return "Unavailable";
    case Status::Code::kThrottled: return "Throttled";
    case Status::Code::kTimeout: return "Timeout";
    case Status::Code::kCancelled: return "Cancelled";
    case Status::Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace docpipe
