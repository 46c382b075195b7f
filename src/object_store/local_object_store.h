#pragma once

#include <string>

#include "object_store/object_store.h"

namespace docpipe {

// The embedded object store: one file per object under a directory. Writes go
// to a temporary file renamed into place (atomic replace); keys map to paths.
// Thread- and process-safe.

//! Object store rooted at directory `root` (created when missing).
Result<ObjectStorePtr> NewLocalObjectStore(const std::string& root);

}  // namespace docpipe
