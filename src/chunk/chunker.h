#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenize/tokenizer.h"
#include "common/status.h"
#include "extract/extractor.h"

namespace docpipe {

struct ChunkOptions {
  int target_tokens = 512;
  int min_tokens = 128;
  int max_tokens = 1024;
  int overlap_tokens = 0;  // tokens of the previous chunk's tail repeated (same section only)
};

struct Chunk {
  std::string chunk_id;  // "<doc_id>:<version>:<index>"
  int index = 0;
  std::string text;
  std::vector<std::string> breadcrumbs;  // heading path, outermost first
  std::string context_prefix;            // "Title > Section > Sub" line prepended for embedding
  int page_start = 0;
  int page_end = 0;
  std::string page_label_start;  // printed page numbers of page_start/page_end ("xii", "17");
  std::string page_label_end;    // empty when unknown
  int token_count = 0;  // of `text`
  int char_count = 0;   // code points of `text`
  std::string type;     // "text", "table", "code", "list", "contents" (a table of contents or an index)
};

nlohmann::json ToJson(const Chunk& c);
Result<Chunk> ChunkFromJson(const nlohmann::json& j);

// Splits Markdown pages into structure-aware, token-budgeted chunks, the
// sections packed on up to `threads` threads (the chunks are the same for
// any count). InvalidInput when the options are inconsistent (min > target >
// max...); Cancelled soon after `cancel` is set (between units of text).
Result<std::vector<Chunk>> ChunkDocument(const std::string& document_id, const std::string& version,
                                         const std::vector<ExtractedPage>& pages, const Tokenizer& tokenizer,
                                         const ChunkOptions& options, int threads = 1,
                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace docpipe
