// libFuzzer target: the chunker's Markdown block parser
// (src/chunk/markdown_blocks.h). Beyond crashes it checks what the chunker
// relies on: every non-blank line of the page lands in exactly one block, in
// order and verbatim; no block is blank; headings have a level of 1-6.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/markdown_blocks.h"

namespace {

// Lines as the parser sees them: split at '\n', one trailing '\r' dropped.
void AppendNonBlankLines(std::string_view text, bool strip_cr, std::vector<std::string>& out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (strip_cr && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t\f\v") != std::string_view::npos) out.emplace_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view page(reinterpret_cast<const char*>(data), size);
  const std::vector<docpipe::Block> blocks = docpipe::ParseMarkdownBlocks(page, 7);
  std::vector<std::string> want, got;
  AppendNonBlankLines(page, /*strip_cr=*/true, want);
  for (const docpipe::Block& b : blocks) {
    if (b.page != 7 || b.text.find_first_not_of(" \t\f\v\n") == std::string::npos) std::abort();
    if (b.type == docpipe::BlockType::kHeading ? (b.level < 1 || b.level > 6) : b.level != 0) std::abort();
    AppendNonBlankLines(b.text, /*strip_cr=*/false, got);
  }
  if (want != got) {
    std::fprintf(stderr, "markdown_blocks: %zu non-blank lines in, %zu in the blocks\n", want.size(), got.size());
    std::abort();
  }
  return 0;
}
