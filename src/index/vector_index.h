#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace docpipe {

struct ChunkEntity {
  std::string type;  // ORGANIZATION, PERSON, ...
  std::string text;
  bool operator==(const ChunkEntity&) const = default;
};

// One chunk as the index stores it: text, metadata and its vector.
struct IndexedChunk {
  std::string chunk_id;  // "<doc_id>:<version>:<index>"
  std::string document_id;
  std::string processing_version;
  std::string source_key;
  std::string text;  // as embedded (redacted when redaction is on)
  std::vector<std::string> breadcrumbs;
  int page_start = 0;
  int page_end = 0;
  std::string page_label_start;  // printed page numbers of page_start/page_end ("xii"); "" unknown
  std::string page_label_end;
  std::string type;  // text, table, code, list, contents (a table of contents or an index)
  std::vector<std::string> key_phrases;
  std::string language;
  std::vector<std::string> pii_types;  // PII types found (before redaction)
  std::vector<ChunkEntity> entities;   // named entities (the dashboard's chunk view; not searched)
  std::vector<float> vector;
};

// One page of a document's chunks as the index holds them (the dashboard's
// chunk view), read where the index lives, never every chunk at once.
inline constexpr int kMaxChunkPage = 200;
struct ChunkListQuery {
  std::string document_id{};
  int limit = 20;        // 1..kMaxChunkPage
  std::string cursor{};  // ChunkPage::next_cursor of the previous page; "" = the first
};

struct ChunkPage {
  std::vector<IndexedChunk> chunks;  // vectors left empty
  int64_t total = -1;                // the document's chunks in the index; -1 when the adapter cannot tell cheaply
  std::string next_cursor;           // opaque; "" on the last page
};

// Shared by the adapters: a cursor names the document and where the adapter
// continues (its own position: a row label, a pagination token).
std::string EncodeChunkCursor(const std::string& document_id, const std::string& position);
//! The position to continue from ("" for the first page); InvalidInput for a
//! malformed cursor, one made for another document, or a limit outside
//! 1..kMaxChunkPage.
Result<std::string> DecodeChunkCursor(const ChunkListQuery& query);

enum class SearchMode { kHybrid, kVector, kKeyword };

struct SearchQuery {
  std::string text;                 // for keyword (BM25) search
  std::vector<float> vector;        // for vector search (empty in keyword mode)
  SearchMode mode = SearchMode::kHybrid;
  int k = 5;
  std::string document_id;          // "" = every document
};

struct SearchHit {
  IndexedChunk chunk;  // vector left empty
  double score = 0;    // hybrid: RRF score; vector: cosine similarity; keyword: -bm25
  int vector_rank = 0;   // 1-based rank in the dense list, 0 = absent
  int keyword_rank = 0;  // 1-based rank in the BM25 list, 0 = absent
};

struct IndexStats {
  int64_t chunks = 0;
  int64_t documents = 0;
  int dimension = 0;
};

// Vector + keyword index of chunks. Replacing a document's chunks is atomic:
// a search sees the old set or the new one, never a mix and never a chunk of
// an older version. Thread-safe; the local adapter is also process-safe.
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  //! Replaces every chunk of `document_id` with `chunks` (all of `version`).
  //! InvalidInput when a vector's dimension differs from the index's.
  //! Cancelled soon after `cancel` is set (the load stage's: its deadline
  //! raises it), remote requests on the wire included; the old chunks then
  //! stay (the local index) or the document may hold both versions until the
  //! retry replaces them (Pinecone, whose searches keep the newest).
  virtual Status ReplaceDocument(const std::string& document_id, const std::string& version,
                                 const std::vector<IndexedChunk>& chunks,
                                 const std::atomic<bool>* cancel = nullptr) = 0;
  //! Removes the document's chunks; OK when it had none.
  virtual Status DeleteDocument(const std::string& document_id) = 0;
  //! Best `k` hits, best first.
  virtual Result<std::vector<SearchHit>> Search(const SearchQuery& query) = 0;
  virtual Result<IndexStats> Stats() = 0;
  //! Why dense (vector) results are degraded right now, "" when they are
  //! not: the local index answers from BM25 alone while it rebuilds a
  //! damaged graph in the background.
  virtual std::string DenseDegraded() { return ""; }
  //! One page of the document's chunks (ChunkListQuery); an empty page when
  //! the index holds none. InvalidInput for a bad cursor or limit.
  virtual Result<ChunkPage> ListChunks(const ChunkListQuery& query) = 0;
};

using VectorIndexPtr = std::unique_ptr<VectorIndex>;

}  // namespace docpipe
