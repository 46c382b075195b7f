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

// What the server enforces before a request reaches the handler. Every
// limit holds against one client that ignores the protocol's manners: the
// request line and headers, the body, the time to send them, how long a
// connection may idle or be reused, and how many there are.
struct HttpServerLimits {
  int64_t max_body_bytes = 1 << 20;     // larger bodies get 413, unread, and the connection is closed
  int64_t max_header_bytes = 32 << 10;  // request line + headers; past it 414/431 and the connection is closed
  // From a connection's start, or its previous request's end, to the end of
  // the next request's headers; past it the connection is closed.
  int64_t header_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 10'000;          // a connection with no traffic this long is closed
  int max_requests_per_connection = 1000;    // then "Connection: close"
  int max_connections = 1024;                // past it new connections are closed at once
  int max_connections_per_ip = 256;          // 0 = no per-address cap (behind a proxy, every client is one)
  int threads = 4;                           // event loops that read, write and run handlers
};

// Serves an HttpApi over HTTP/1.1 (libmicrohttpd: a few epoll threads, no
// thread per connection). Bind()
// takes the port at once, so a port in use is reported before anything runs.
//
// The server lives in a module of its own, docpipe-http-server.so, loaded by
// LoadHttpServer when `serve` starts serving: libmicrohttpd and the TLS and
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
