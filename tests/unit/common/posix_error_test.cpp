// ErrnoStatus (common/posix_error.h): the one errno -> Status mapping every
// file-touching adapter uses.
#include "common/posix_error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

namespace docpipe {
namespace {

TEST(PosixErrorTest, EachErrnoGetsItsCodeAndTheMessageNamesWhatAndWhy) {
  const std::pair<int, Status::Code> cases[] = {
      {ENOENT, Status::Code::kNotFound},        {ENOTDIR, Status::Code::kInvalidInput},
      {EISDIR, Status::Code::kInvalidInput},    {EEXIST, Status::Code::kInvalidInput},
      {ENAMETOOLONG, Status::Code::kInvalidInput}, {ENOSPC, Status::Code::kUnavailable},
      {EDQUOT, Status::Code::kUnavailable},     {EIO, Status::Code::kUnavailable},
      {EMFILE, Status::Code::kUnavailable},     {ENFILE, Status::Code::kUnavailable},
      {EAGAIN, Status::Code::kUnavailable},     {EBUSY, Status::Code::kUnavailable},
      {EINTR, Status::Code::kUnavailable},      {EACCES, Status::Code::kInternal},
      {EPERM, Status::Code::kInternal},         {0, Status::Code::kInternal}};
  for (const auto& [err, code] : cases) {
    Status st = ErrnoStatus(err, "opening input/a.pdf");
    EXPECT_EQ(st.code(), code) << std::strerror(err);
    EXPECT_EQ(st.message(), std::string("opening input/a.pdf: ") + std::strerror(err));
  }
  EXPECT_TRUE(ErrnoStatus(ENOSPC, "x").IsRetryable()) << "a full disk may pass";
}

}  // namespace
}  // namespace docpipe
