#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace docpipe {

// Bounds on one document, so that a small hostile file (a 100 KB PDF that
// expands to 35 million characters) or a huge one cannot hold a worker for
// long or push it past its memory. Each is configurable ([limits] in the
// TOML file, DOCPIPE_MAX_* in the environment, --max-* on the command line);
// a document over one FAILED at once (InvalidInput, never retried) with an
// error that names the limit and how to raise it.
struct DocumentLimits {
  int64_t max_bytes = 512ll << 20;     // the source file
  int64_t max_pages = 10'000;          // pages extracted
  int64_t max_chars = 20'000'000;      // characters extracted, all pages
  int64_t max_chunks = 20'000;         // chunks made
  double max_expansion_ratio = 100;    // characters extracted per source byte...
  // ...counted only past this many characters: a 2 KB file with 50 KB of text is no threat.
  static constexpr int64_t kExpansionFloorChars = 1'000'000;
};

// The names a limit goes by, for errors: "max_pages" -> "limits.max_pages / DOCPIPE_MAX_PAGES".
std::string LimitSettingNames(const std::string& limit);

// InvalidInput: "<name>: over the document limit <limit>: <what> (raise it with limits.<limit> or DOCPIPE_...)".
Status LimitExceeded(const std::string& name, const std::string& limit, const std::string& what);

// Tracks what an extraction has produced against the limits; the first
// limit passed gives its error. `source_bytes` is the size of the source.
class ExtractionBudget {
 public:
  ExtractionBudget(const DocumentLimits& limits, std::string name, int64_t source_bytes)
      : limits_(limits), name_(std::move(name)), source_bytes_(source_bytes) {}
  //! Counts one page of `chars` characters; InvalidInput once a limit is passed.
  Status AddPage(int64_t chars);
  int64_t pages() const { return pages_; }
  int64_t chars() const { return chars_; }

 private:
  const DocumentLimits limits_;
  const std::string name_;
  const int64_t source_bytes_;
  int64_t pages_ = 0;
  int64_t chars_ = 0;
};

}  // namespace docpipe
