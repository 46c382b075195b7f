#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "serve/http_server.h"

namespace docpipe {
namespace {

// Where the module may be: beside the binary (the build tree), or in
// ../lib/docpipe/ of its folder (an installed tree, the container image).
std::vector<std::string> ModuleCandidates() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {kHttpServerModuleFile};
  const std::filesystem::path dir = exe.parent_path();
  return {(dir / kHttpServerModuleFile).string(), (dir / "../lib/docpipe" / kHttpServerModuleFile).string()};
}

// Loads the module once per process (it stays loaded, as a library does).
Result<const HttpServerModule*> LoadModule() {
  static std::mutex mu;
  static const HttpServerModule* module = nullptr;
  std::lock_guard lock(mu);
  if (module != nullptr) return module;
  std::string tried;
  for (const std::string& path : ModuleCandidates()) {
    if (!std::filesystem::exists(path)) {
      tried += fmt::format("{}{}: absent", tried.empty() ? "" : "; ", path);
      continue;
    }
    void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", path, why != nullptr ? why : "cannot load");
      continue;
    }
    using Entry = const HttpServerModule* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(lib, kHttpServerModuleSymbol));
    if (entry == nullptr) {
      tried += fmt::format("{}{}: no {}", tried.empty() ? "" : "; ", path, kHttpServerModuleSymbol);
      continue;
    }
    module = entry();
    return module;
  }
  return Status::Unavailable(fmt::format("the HTTP server module {} cannot be loaded ({})", kHttpServerModuleFile,
                                         tried));
}

}  // namespace

Result<std::unique_ptr<HttpServer>> LoadHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits) {
  Result<const HttpServerModule*> module = LoadModule();
  if (!module.ok()) return module.status();
  return (*module)->bind(host, port, std::move(handler), limits);
}

}  // namespace docpipe
