#include "common/module_loader.h"

#include <dlfcn.h>

#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace docpipe {
namespace {

std::vector<std::string> ModuleCandidates(const std::string& file) {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {file};
  const std::filesystem::path dir = exe.parent_path();
  return {(dir / file).string(), (dir / "../lib/docpipe" / file).string()};
}

}  // namespace

Result<void*> LoadModuleSymbol(const std::string& file, const char* symbol) {
  std::string tried;
  auto note = [&tried](const std::string& path, const std::string& why) {
    tried += fmt::format("{}{}: {}", tried.empty() ? "" : "; ", path, why);
  };
  for (const std::string& path : ModuleCandidates(file)) {
    if (!std::filesystem::exists(path)) {
      note(path, "absent");
      continue;
    }
    void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      note(path, why != nullptr ? why : "cannot load");
      continue;
    }
    void* entry = ::dlsym(lib, symbol);
    if (entry == nullptr) {
      note(path, fmt::format("no {}", symbol));
      continue;
    }
    return entry;
  }
  return Status::Unavailable(fmt::format("the module {} cannot be loaded ({})", file, tried));
}

}  // namespace docpipe
