#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "extract/extract_limits.h"

struct zip;

namespace docpipe {

// libzip's soname: loaded by the first ZipArchive::Open (dlopen), so listed
// in deploy/on-demand-libraries.txt.
inline constexpr const char* kZipLibrary = "libzip.so.4";

// A zip container (OOXML, ODF, EPUB) opened read-only through libzip, with the
// limits of ExtractLimits enforced on every read: entry count at open, and the
// size, the compression ratio and the running total of what is unpacked (the
// declared sizes are not trusted: reading stops one byte past them).
// Not thread-safe.
class ZipArchive {
 public:
  //! Opens `path`; InvalidInput naming `name` for a file that is not a zip,
  //! is truncated or inconsistent, or has too many entries; Unavailable when
  //! libzip cannot be loaded.
  static Result<std::unique_ptr<ZipArchive>> Open(const std::string& path, const std::string& name,
                                                  const ExtractLimits& limits);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  //! Whether a member called `member` exists (exact name, as stored).
  bool Has(const std::string& member) const;
  //! Names of all members, in archive order.
  const std::vector<std::string>& Names() const { return names_; }
  //! The unpacked bytes of `member`. NotFound when absent; InvalidInput when
  //! it is encrypted, corrupt, or passes a limit (naming the archive, the
  //! member and the limit).
  Result<std::string> Read(const std::string& member);

 private:
  ZipArchive(zip* archive, std::string name, ExtractLimits limits);
  zip* archive_;
  std::string name_;
  ExtractLimits limits_;
  std::vector<std::string> names_;
  int64_t unpacked_total_ = 0;
};

// Resolves a relationship target ("../media/a.png") against the folder of the
// part that names it ("word/document.xml") to a member name ("media/a.png").
std::string ResolvePartPath(const std::string& source_part, const std::string& target);

}  // namespace docpipe
