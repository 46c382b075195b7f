#include "common/posix_error.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace docpipe {

Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = fmt::format("{}: {}", what, std::strerror(err));
  switch (err) {
    case ENOENT:
      return Status::NotFound(std::move(msg));
    case ENOTDIR:
    case EISDIR:
    case EEXIST:
    case ENAMETOOLONG:
      return Status::InvalidInput(std::move(msg));
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EMFILE:
    case ENFILE:
    case EAGAIN:
    case EBUSY:
    case EINTR:
      return Status::Unavailable(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

}  // namespace docpipe
