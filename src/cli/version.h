#pragma once

#include <string>

namespace docpipe {

// What `docpipe --version` prints: "docpipe 0.1.0 (commit 1a2b3c4d5e6f)", the
// commit the binary was built from ("-dirty" when the checkout had changes
// to tracked files, "unknown" outside a git checkout).
std::string VersionLine();

}  // namespace docpipe
