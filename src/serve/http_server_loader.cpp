#include <string>

#include "common/module_loader.h"
#include "serve/http_server.h"

namespace docpipe {

Result<std::unique_ptr<HttpServer>> LoadHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits) {
  Result<void*> entry = LoadModuleSymbol(kHttpServerModuleFile, kHttpServerModuleSymbol);
  if (!entry.ok()) return Status::Unavailable("HTTP server: " + entry.status().message());
  using Entry = const HttpServerModule* (*)();
  const HttpServerModule* module = reinterpret_cast<Entry>(*entry)();
  return module->bind(host, port, std::move(handler), limits);
}

}  // namespace docpipe
