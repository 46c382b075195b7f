#pragma once

#include <string>

#include "common/status.h"

namespace docpipe {

// The one translation of an errno value into a Status, for every adapter
// that touches files: "<what>: <strerror>" with the code
//   ENOENT                                   NotFound
//   ENOTDIR, EISDIR, EEXIST, ENAMETOOLONG    InvalidInput (the path clashes with the tree's shape)
//   ENOSPC, EDQUOT, EIO, EMFILE, ENFILE,
//   EAGAIN, EBUSY, EINTR                     Unavailable (may pass: worth a retry later)
//   anything else                            Internal
Status ErrnoStatus(int err, const std::string& what);

}  // namespace docpipe
