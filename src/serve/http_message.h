#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace docpipe {

// One HTTP request as the API sees it, independent of the server library
// (the server adapter fills it; nothing here knows cpp-httplib).
struct ApiRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // percent-decoded, without the query
  std::map<std::string, std::string> params;   // query parameters, decoded (first of each)
  std::map<std::string, std::string> headers;  // names lower-cased (first of each)
  std::string body;
  std::string remote_addr;  // the peer's IP address ("" when unknown)

  //! The header `lower_name`, "" when absent.
  const std::string& Header(const std::string& lower_name) const {
    static const std::string kNone;
    auto it = headers.find(lower_name);
    return it == headers.end() ? kNone : it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type; may repeat (Set-Cookie)
};

}  // namespace docpipe
