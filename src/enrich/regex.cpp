#include "enrich/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace docpipe {

struct Regex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

namespace {

struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

}  // namespace

bool RegexMatch::Has(int i) const { return i >= 0 && i < groups_ && ovector_[2 * i] != PCRE2_UNSET; }

std::string_view RegexMatch::Group(int i) const {
  if (!Has(i)) return {};
  return subject_.substr(Begin(i), End(i) - Begin(i));
}

Result<Regex> Regex::Compile(std::string_view pattern, bool caseless) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  uint32_t options = caseless ? PCRE2_CASELESS : 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options,
                                   &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::InvalidInput("regex at offset " + std::to_string(error_offset) + ": " +
                                reinterpret_cast<const char*>(message));
  }
  // JIT is an optimisation only: without it pcre2_match interprets.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  auto c = std::make_unique<Code>();
  c->code = code;
  return Regex(std::move(c));
}

Regex::Regex(std::unique_ptr<Code> code) : code_(std::move(code)) {}
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

void Regex::ForEach(std::string_view text, const std::function<void(const RegexMatch&)>& visit) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(code_->code, nullptr));
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start <= text.size()) {
    int rc = pcre2_match(code_->code, subject, text.size(), start, 0, md.get(), nullptr);
    if (rc < 0) break;  // no match, or a resource limit: either way, stop
    const size_t* ov = pcre2_get_ovector_pointer(md.get());
    RegexMatch m(text, ov, static_cast<int>(pcre2_get_ovector_count(md.get())));
    size_t end = m.End();
    visit(m);
    start = end > m.Begin() ? end : m.Begin() + 1;
  }
}

bool Regex::Search(std::string_view text) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(code_->code, nullptr));
  return pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0, md.get(),
                     nullptr) >= 0;
}

}  // namespace docpipe
