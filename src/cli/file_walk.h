#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace docpipe {

struct InputFile {
  std::string path;        // local path to read
  std::string source_key;  // "input/<folder name>/<relative path>" or "input/<file name>"
};

struct WalkResult {
  std::vector<InputFile> files;
  std::vector<std::string> skipped;    // files in folders with unsupported suffixes
  std::vector<std::string> redirects;  // HTML redirect pages in folders (HtmlRedirectTarget)
};

// Expands the command-line paths: files as given, folders recursively
// (symlinks followed, each directory visited once, hidden entries skipped,
// only supported suffixes kept, HTML pages that only redirect to another set
// apart). InvalidInput names a path that does not exist.
Result<WalkResult> CollectInputs(const std::vector<std::string>& paths,
                                 const std::vector<std::string>& supported_suffixes);

}  // namespace docpipe
