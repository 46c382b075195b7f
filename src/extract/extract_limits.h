#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace docpipe {

// Bounds that keep one hostile or huge document from exhausting the worker:
// what a container may unpack and how much memory the parsers of one
// extraction may hold. Every limit, when hit, fails the document with
// InvalidInput naming the input and the limit.
struct ExtractLimits {
  int64_t max_input_bytes = 512ll << 20;          //! the file itself (e-mail, HTML, RTF, CSV read whole)
  int max_zip_entries = 20'000;                    //! entries in one archive
  int64_t max_entry_bytes = 256ll << 20;           //! one unpacked archive member
  int64_t max_total_unpacked_bytes = 1ll << 30;    //! all members read from one archive
  double max_compression_ratio = 200;              //! unpacked / packed, for members above 1 MB
  int64_t max_memory_bytes = 1ll << 30;            //! parser memory (XML DOMs, HTML trees) at once
  int max_attachment_depth = 3;                    //! e-mail inside e-mail inside ...
};

// Counts the bytes the parsers of one extraction hold and refuses an
// allocation past the cap. Not thread-safe: one extraction, one thread.
class MemoryBudget {
 public:
  explicit MemoryBudget(int64_t cap) : cap_(cap) {}
  //! Reserves `n` bytes; false (nothing reserved) when that would pass the cap.
  bool Take(size_t n) {
    if (used_ + static_cast<int64_t>(n) > cap_) {
      exceeded_ = true;
      return false;
    }
    used_ += static_cast<int64_t>(n);
    if (used_ > peak_) peak_ = used_;
    return true;
  }
  void Give(size_t n) { used_ -= static_cast<int64_t>(n); }
  int64_t cap() const { return cap_; }
  int64_t used() const { return used_; }
  int64_t peak() const { return peak_; }
  //! Whether an allocation was ever refused.
  bool exceeded() const { return exceeded_; }
  //! InvalidInput naming `name` and the cap.
  Status ExceededError(const std::string& name) const;

 private:
  int64_t cap_;
  int64_t used_ = 0;
  int64_t peak_ = 0;
  bool exceeded_ = false;
};

}  // namespace docpipe
