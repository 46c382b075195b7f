#include "index/vector_index.h"

#include <fmt/format.h>

#include "common/list_cursor.h"

namespace docpipe {

std::string EncodeChunkCursor(const std::string& document_id, const std::string& position) {
  return EncodeListCursor("chunks", document_id, position);
}

Result<std::string> DecodeChunkCursor(const ChunkListQuery& q) {
  if (q.limit < 1 || q.limit > kMaxChunkPage) {
    return Status::InvalidInput(fmt::format("limit must be between 1 and {}", kMaxChunkPage));
  }
  if (q.cursor.empty()) return std::string();
  return DecodeListCursor(q.cursor, "chunks", q.document_id, "another document's chunks");
}

}  // namespace docpipe
