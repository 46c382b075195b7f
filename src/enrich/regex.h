#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace docpipe {

// One match of a Regex: byte offsets of the whole match and its groups.
class RegexMatch {
 public:
  RegexMatch(std::string_view subject, const size_t* ovector, int groups)
      : subject_(subject), ovector_(ovector), groups_(groups) {}
  //! Whether group `i` took part in the match (group 0 always does).
  bool Has(int i) const;
  size_t Begin(int i = 0) const { return ovector_[2 * i]; }
  size_t End(int i = 0) const { return ovector_[2 * i + 1]; }
  //! The group's text, empty if it did not take part.
  std::string_view Group(int i = 0) const;

 private:
  std::string_view subject_;
  const size_t* ovector_;
  int groups_;
};

// A compiled PCRE2 pattern (8-bit, byte mode: patterns are ASCII or literal
// UTF-8, so \w and \b are ASCII-only and any byte sequence is safe input).
// Compiled and JIT-compiled once; matching allocates its own match data, so
// one Regex may be shared by many threads.
class Regex {
 public:
  //! InvalidInput naming the offset if the pattern does not compile.
  static Result<Regex> Compile(std::string_view pattern, bool caseless = false);

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  //! Visits the non-overlapping matches of `text`, left to right.
  void ForEach(std::string_view text, const std::function<void(const RegexMatch&)>& visit) const;
  //! Whether the pattern matches anywhere in `text`.
  bool Search(std::string_view text) const;

 private:
  struct Code;
  explicit Regex(std::unique_ptr<Code> code);
  std::unique_ptr<Code> code_;
};

}  // namespace docpipe
