// ParseMimeMessage through GMime's module (docpipe-mime.so), loaded on first use.
#include "common/module_loader.h"
#include "extract/mime_message.h"

namespace docpipe {

Result<MimeMessage> ParseMimeMessage(std::string_view data) {
  Result<void*> entry = LoadModuleSymbol(kMimeModuleFile, kMimeModuleSymbol);
  if (!entry.ok()) return Status::Unavailable("e-mail: " + entry.status().message());
  using Entry = const MimeModule* (*)();
  return reinterpret_cast<Entry>(*entry)()->parse(data);
}

}  // namespace docpipe
