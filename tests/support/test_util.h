#pragma once

#include <string>

namespace docpipe::testing {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Writes `data` to `path`, creating parent directories. Aborts the test on failure.
void WriteFile(const std::string& path, const std::string& data);
std::string ReadFile(const std::string& path);
// Whether an executable named `exe` is on PATH.
bool OnPath(const std::string& exe);
// What a test prints when a peer (a Debian package, node, a Python peer) is
// missing: the command that installs every test peer.
inline constexpr const char* kInstallTestPeers =
    "install the test peers with `scripts/install-deps.sh test` (as root, in the source tree)";
// Whether this build runs under AddressSanitizer (GCC defines
// __SANITIZE_ADDRESS__, clang answers __has_feature): such a build runs
// several times slower, and its processes' resident sets hold ASan's
// quarantine and shadow memory. The docpipe the e2e tests spawn is of the
// same build.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizerBuild = true;
#else
inline constexpr bool kAddressSanitizerBuild = false;
#endif
#else
inline constexpr bool kAddressSanitizerBuild = false;
#endif
// A TCP port on 127.0.0.1 that was free a moment ago (for servers the tests start), or -1.
int FreeLoopbackPort();

}  // namespace docpipe::testing
