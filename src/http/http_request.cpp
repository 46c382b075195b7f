#include <strings.h>

#include "http/http_client.h"

namespace docpipe {

const std::string* HttpRequest::FindHeader(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return &v;
  }
  return nullptr;
}

void HttpRequest::SetHeader(const std::string& name, std::string value) {
  std::erase_if(headers, [&](const auto& kv) { return strcasecmp(kv.first.c_str(), name.c_str()) == 0; });
  headers.emplace_back(name, std::move(value));
}

// In the port, beside its declaration: the AWS client and the Lambda runtime
// use it and link the port alone (with only the adapter defining it, a
// program without libcurl's adapter did not link).
bool IsConnectFailure(const Status& status) {
  return status.code() == Status::Code::kUnavailable && status.message().rfind(kConnectFailedPrefix, 0) == 0;
}

}  // namespace docpipe
