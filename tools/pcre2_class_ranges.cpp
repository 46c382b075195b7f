// Build-time helper: prints the code points that libpcre2 (UTF + UCP) matches
// for each single-character class given on the command line, so the rank
// converter can reconcile PCRE2's Unicode tables with the JavaScript engine's.
// Usage: pcre2_class_ranges CLASS...   Output: "unicode <version>", then one
// line per class of space-separated hex ranges "lo-hi".
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Every scalar value once, in order, with the code point at each offset.
  std::string all;
  std::vector<uint32_t> cp_at;  // indexed by byte offset
  all.reserve(4500000);
  cp_at.reserve(4500000);
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    AppendUtf8(cp, &all);
    cp_at.resize(all.size(), cp);
  }
  cp_at.push_back(0x110000);  // one past the end

  char version[64] = {0};
  pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, version);
  std::printf("unicode %s\n", version);

  for (int a = 1; a < argc; ++a) {
    const std::string pattern = std::string("(?:") + argv[a] + ")+";
    int err = 0;
    PCRE2_SIZE err_off = 0;
    pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP, &err, &err_off, nullptr);
    if (re == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      std::fprintf(stderr, "pcre2_class_ranges: cannot compile %s at %zu: %s\n", argv[a], err_off,
                   reinterpret_cast<char*>(msg));
      return 1;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
    // Long runs of a grouped class need more than the default 32 KiB JIT stack.
    pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 256 * 1024 * 1024, nullptr);
    pcre2_match_context* mctx = pcre2_match_context_create(nullptr);
    pcre2_jit_stack_assign(mctx, nullptr, stack);
    std::string line;
    size_t pos = 0;
    while (pos < all.size()) {
      const int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(all.data()), all.size(), pos,
                                 PCRE2_NO_UTF_CHECK, md, mctx);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        std::fprintf(stderr, "pcre2_class_ranges: matching %s failed with PCRE2 error %d\n", argv[a], rc);
        return 1;
      }
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%x-%x", line.empty() ? "" : " ", cp_at[ov[0]], cp_at[ov[1]] - 1);
      // The code point before ov[1] is cp_at[ov[1]] - 1 except across the surrogate gap.
      if (cp_at[ov[1]] == 0xE000) {
        std::snprintf(buf, sizeof buf, "%s%x-%x", line.empty() ? "" : " ", cp_at[ov[0]], 0xD7FF);
      }
      line += buf;
      pos = ov[1];
    }
    std::printf("%s\n", line.c_str());
    pcre2_match_context_free(mctx);
    pcre2_jit_stack_free(stack);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
  }
  return 0;
}
