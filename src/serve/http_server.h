#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "serve/http_api.h"

namespace docpipe {

// Serves an HttpApi over HTTP/1.1 (cpp-httplib, a thread pool). Bind()
// takes the port at once, so a port in use is reported before anything runs.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  //! The bound port (the chosen one when asked for port 0).
  virtual int port() const = 0;
  //! Answers requests until Stop(); false when the server failed.
  virtual bool Run() = 0;
  //! Ends Run() (from any thread); requests in progress finish first.
  virtual void Stop() = 0;
};

//! Binds `host:port` (port 0 = any free port). Unavailable when the address
//! cannot be bound (in use, no such address). `api` must outlive the server.
//! Request bodies over `max_body_bytes` are refused with 413 unread.
Result<std::unique_ptr<HttpServer>> BindHttpServer(const std::string& host, int port, HttpApi& api,
                                                   int64_t max_body_bytes = 1 << 20);

}  // namespace docpipe
