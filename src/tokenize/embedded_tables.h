#pragma once

#include <string_view>

namespace docpipe {

// The rank table of `encoding` compiled into the binary (see
// tools/tiktoken_ranks_to_bin.mjs for the format), empty if there is none.
// Defined in a source file the build generates (cmake/bpe_tables.cmake).
std::string_view EmbeddedBpeTable(std::string_view encoding);

}  // namespace docpipe
