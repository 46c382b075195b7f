#pragma once

#include <string>

#include "common/status.h"

// docpipe's own modules: shared objects loaded on first use so that a command
// loads only the libraries it needs (docs/architecture.md, "Start-up";
// deploy/on-demand-libraries.txt lists them).
namespace docpipe {

//! Loads the module `file` from beside the running binary (the build tree) or
//! from ../lib/docpipe/ of its folder (an installed tree, the container
//! image), and returns the address of its C-linkage `symbol`. A module stays
//! loaded for the life of the process, as a linked library does; loading it
//! again is cheap (the loader counts references). Unavailable when no place
//! holds a loadable module with that symbol, naming each place and why.
Result<void*> LoadModuleSymbol(const std::string& file, const char* symbol);

}  // namespace docpipe
