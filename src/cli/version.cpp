#include "cli/version.h"

// Written into the build tree at every build (cmake/build_version.cmake).
#include "build_version.h"

namespace docpipe {

std::string VersionLine() {
  return std::string("docpipe ") + DOCPIPE_BUILD_VERSION + " (commit " + DOCPIPE_BUILD_COMMIT + ")";
}

}  // namespace docpipe
