#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "serve/http_message.h"

namespace docpipe {

// Answers one request (HttpApi::Handle); called from the server's threads.
using RequestHandler = std::function<ApiResponse(const ApiRequest&)>;

// What the server enforces before a request reaches the handler.
struct HttpServerLimits {
  int64_t max_body_bytes = 1 << 20;  // larger bodies are refused with 413, unread
};

// Serves an HttpApi over HTTP/1.1 (cpp-httplib, a thread pool). Bind()
// takes the port at once, so a port in use is reported before anything runs.
//
// The server lives in a module of its own, docpipe-http-server.so, loaded by
// LoadHttpServer when `serve` starts serving: cpp-httplib and the TLS and
// compression libraries it links would otherwise be loaded by every command
// at start-up (docs/architecture.md, "Start-up").
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
//! cannot be bound (in use, no such address). The module's implementation.
Result<std::unique_ptr<HttpServer>> BindHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits);

//! Loads the module (beside the docpipe binary, or in ../lib/docpipe/) and
//! binds through it. Unavailable when the module cannot be loaded, naming
//! the places looked at; otherwise as BindHttpServer.
Result<std::unique_ptr<HttpServer>> LoadHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits = {});

// What the module exports under kHttpServerModuleSymbol (C linkage, so the
// loader finds it by name).
struct HttpServerModule {
  Result<std::unique_ptr<HttpServer>> (*bind)(const std::string& host, int port, RequestHandler handler,
                                              const HttpServerLimits& limits);
};
inline constexpr const char* kHttpServerModuleSymbol = "docpipe_http_server_module";
inline constexpr const char* kHttpServerModuleFile = "docpipe-http-server.so";

}  // namespace docpipe
