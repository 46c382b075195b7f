// libFuzzer target: the TOML configuration (src/config/config.h): toml++'s
// parser and every key docpipe reads from it, then the checks of the whole
// configuration. Errors are expected; crashes, sanitizer reports and uncaught
// exceptions are findings.
#include <cstdint>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  docpipe::Config config;
  docpipe::Status applied = docpipe::ApplyToml(text, "fuzz.toml", config);
  if (applied.ok()) (void)docpipe::ValidateConfig(config);
  return 0;
}
