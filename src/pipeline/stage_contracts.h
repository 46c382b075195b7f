#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunk/chunker.h"
#include "common/status.h"
#include "enrich/enricher.h"
#include "extract/extractor.h"
#include "object_store/object_store.h"
#include "tables/control_record.h"

namespace docpipe {

// What each stage hands the next, as typed values with their JSON in one
// place (this file), stored under the keys of pipeline/object_keys.h. Every
// output names the document version it belongs to; a stage reading another
// version's output gets an error instead (StageArtifacts checks). No stage
// rewrites another's output: with PII redaction on, the enrich stage writes
// the redacted texts as an output of its own (RedactedTexts).

// A page stage 1 read by OCR (no usable text layer, or an image file).
struct OcrPageNote {
  int page = 0;        // 1-based
  std::string reason;  // ExtractedPage::ocr_reason ("no_text_layer", "unusable_text", "image")
  double confidence = 0;  // mean word confidence, 0-100, one decimal
  std::string script;     // detected script ("Latin"), "" when undetected
  int rotation = 0;       // degrees the page image was turned to read it
};

// A document embedded in another (an e-mail attachment), as stage 1 found it:
// stored under `source_key` and registered as a document of its own, or
// listed with the reason it was `skipped`.
struct AttachmentNote {
  std::string name;          // its file name in the parent
  std::string content_type;  // as the parent declared it
  int64_t size = 0;          // bytes
  std::string source_key;    // pipeline/stages.h AttachmentKey
  std::string skipped;       // why it was not registered; "" when it was
  std::string document_id;   // when registered
  std::string processing_version;
};

// Stage 1, extracted/<id>/metadata.json (its pages are extracted/<id>/page-NNNN.md).
struct ExtractedDocument {
  std::string document_id;
  std::string processing_version;
  std::string source_key;
  std::string format;  // "pdf", "markdown", "text"
  std::string title;
  int page_count = 0;
  std::vector<HeadingEntry> outline;
  std::vector<int64_t> chars_per_page;  // code points on each page
  std::vector<std::string> page_labels;  // printed page numbers, "" unknown; one per page
  std::vector<int> pages_without_text;  // 1-based
  std::vector<OcrPageNote> ocr_pages;
  int64_t unmapped_chars = 0;  // glyphs without a Unicode mapping (dropped)
  int64_t extraction_ms = 0;
  std::map<std::string, std::string> properties;  // what the format declares (author, subject, ...)
  std::vector<AttachmentNote> attachments;
  std::string parent_source_key;   // set when this document is another's attachment
  std::string parent_document_id;
  std::vector<std::string> warnings;  // the first few problems the reader worked around
};

// Stage 2, chunks/<id>.json.
struct ChunkSet {
  std::string document_id;
  std::string processing_version;
  std::string source_key;
  std::string tokenizer;  // the encoding that counted token_count ("cl100k_base")
  ChunkOptions options;
  std::vector<Chunk> chunks;
  // Read only: docpipe before issue 13 redacted PII by rewriting this file
  // ("redacted": true); such texts are already redacted.
  bool redacted_in_place = false;
};

// Stage 3, enriched/<id>.json: per chunk, in chunk order. PII is written by
// type and offsets only (never its text), like Comprehend's DetectPiiEntities.
struct EnrichmentSet {
  std::string document_id;
  std::string processing_version;
  std::string enricher;  // Enricher::Name()
  bool redact_pii = false;
  std::string dominant_language;
  std::map<std::string, int64_t> pii_counts;     // by PII type
  std::map<std::string, int64_t> entity_counts;  // by entity type
  int64_t comprehend_calls = 0;
  double cost_usd = 0;
  std::map<std::string, int64_t> skipped;  // why calls were left out -> chunks
  std::vector<ChunkEnrichment> chunks;
};

// Stage 3 with redaction on, redacted/<id>.json: each chunk's text with its
// PII replaced by "[TYPE]", what stages 4 and 5 embed and index.
struct RedactedTexts {
  std::string document_id;
  std::string processing_version;
  std::vector<std::pair<std::string, std::string>> texts;  // chunk_id, redacted text; chunk order
};

// Stage 4, embeddings/<id>.json: one vector per chunk, in chunk order.
struct EmbeddingSet {
  std::string document_id;
  std::string processing_version;
  std::string model;
  int dimension = 0;
  int64_t tokens = 0;  // as the provider bills them
  double cost_usd = 0;
  int64_t requests = 0;
  std::vector<std::pair<std::string, std::vector<float>>> vectors;  // chunk_id, vector
};

nlohmann::json ToJson(const ExtractedDocument& d);
nlohmann::json ToJson(const ChunkSet& c);
nlohmann::json ToJson(const EnrichmentSet& e);
nlohmann::json ToJson(const RedactedTexts& r);
nlohmann::json ToJson(const EmbeddingSet& e);
// The inverses: InvalidInput naming the first field that is missing or of the
// wrong type.
Result<ExtractedDocument> ExtractedDocumentFromJson(const nlohmann::json& j);
// Cancelled soon after `cancel` (may be null) is set: between elements.
Result<ChunkSet> ChunkSetFromJson(const nlohmann::json& j, const std::atomic<bool>* cancel = nullptr);
Result<EnrichmentSet> EnrichmentSetFromJson(const nlohmann::json& j, const std::atomic<bool>* cancel = nullptr);
Result<RedactedTexts> RedactedTextsFromJson(const nlohmann::json& j, const std::atomic<bool>* cancel = nullptr);
Result<EmbeddingSet> EmbeddingSetFromJson(const nlohmann::json& j, const std::atomic<bool>* cancel = nullptr);

// The text a chunk is embedded as: its heading path, then its text.
std::string EmbeddingInput(const Chunk& chunk);

// The chunks as stages 4 and 5 use them, with the enrichment beside them.
struct ChunksToIndex {
  ChunkSet chunks;  // texts redacted when stage 3 redacted PII
  EnrichmentSet enrichment;
};

// One extracted page's Markdown, as written to the store.
struct StagePage {
  int number = 0;
  std::string markdown;
};

// The stage outputs this process wrote last, as typed values, so that the
// next stage run by the same process takes them without parsing their JSON
// again (a big manual's chunks were parsed by three stages, its enrichment by
// two). An entry is used only while the stored object holds exactly the bytes
// that were written (same size and hash): an output rewritten by another
// process, edited or removed is read from the store as before. Each value is
// built by the same FromJson from the same JSON that was written, so a read
// gives the same value with or without the memo. Thread-safe; holds at most
// `capacity` outputs, the oldest dropped first.
class StageOutputMemo {
 public:
  using Value = std::variant<ChunkSet, EnrichmentSet, RedactedTexts, EmbeddingSet>;

  explicit StageOutputMemo(size_t capacity = 8) : capacity_(capacity == 0 ? 1 : capacity) {}

  //! Remembers `value` as what `key` holds after `bytes` were written there.
  void Put(const std::string& key, std::string_view bytes, std::shared_ptr<const Value> value);
  //! The value written under `key` when `bytes` are the bytes written; null otherwise.
  std::shared_ptr<const Value> Get(const std::string& key, std::string_view bytes);
  void Drop(const std::string& key);
  //! Reads answered from the memo (for tests and metrics).
  int64_t hits() const;

 private:
  struct Entry {
    std::string key;
    size_t size = 0;
    size_t hash = 0;
    std::shared_ptr<const Value> value;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // newest first
  int64_t hits_ = 0;
};

// Reads and writes the stage outputs of document versions in the object
// store: the one place that knows their keys and formats. A read checks the
// output belongs to `record`'s version (Internal otherwise: a stage must
// never consume another version's output); NotFound when it is absent.
class StageArtifacts {
 public:
  //! With a memo, the chunks, enrichment, redacted texts and embeddings
  //! written through it are read back without parsing (StageOutputMemo).
  explicit StageArtifacts(ObjectStore& store, StageOutputMemo* memo = nullptr) : store_(store), memo_(memo) {}

  //! Pages of a document, made durable together (ObjectStore::PutMany).
  Status WritePages(const std::string& document_id, const std::vector<StagePage>& pages);
  Result<std::string> ReadPage(const std::string& document_id, int page);
  //! Removes the pages after `page_count` (a previous version had more).
  Status RemovePagesAfter(const std::string& document_id, int page_count);

  Status Write(const ExtractedDocument& d);
  Status Write(const ChunkSet& c);
  Status Write(const EnrichmentSet& e);
  Status Write(const RedactedTexts& r);
  Status Write(const EmbeddingSet& e);
  // The reads below end with Cancelled soon after `cancel` is set (a stage's
  // deadline): a large output takes seconds to parse on a loaded machine.
  Result<ExtractedDocument> ReadExtracted(const ControlRecord& record);
  Result<ChunkSet> ReadChunks(const ControlRecord& record, const std::atomic<bool>* cancel = nullptr);
  Result<EnrichmentSet> ReadEnrichment(const ControlRecord& record, const std::atomic<bool>* cancel = nullptr);
  Result<RedactedTexts> ReadRedacted(const ControlRecord& record, const std::atomic<bool>* cancel = nullptr);
  Result<EmbeddingSet> ReadEmbeddings(const ControlRecord& record, const std::atomic<bool>* cancel = nullptr);

  //! Stage 2's chunks with, when stage 3 redacted PII, the redacted texts in
  //! their place, and stage 3's enrichment. Workspaces written before the
  //! redacted texts had an output of their own keep working (their chunks
  //! were redacted in place); a version whose enrichment redacted PII but
  //! whose redacted texts are gone fails with InvalidInput asking to
  //! re-ingest, rather than embed its PII.
  Result<ChunksToIndex> ReadChunksToIndex(const ControlRecord& record, const std::atomic<bool>* cancel = nullptr);

  //! Lets the memo drop the document's outputs (their last reader is done).
  void ForgetOutputs(const std::string& document_id);

 private:
  Status WriteJson(const std::string& key, const nlohmann::json& j, int indent);
  template <typename T, typename FromJson>
  Status WriteOutput(const std::string& key, const nlohmann::json& j, int indent, FromJson from_json);
  template <typename T, typename FromJson>
  Result<T> ReadOutput(const std::string& key, const ControlRecord& record, const std::atomic<bool>* cancel,
                       FromJson from_json);

  ObjectStore& store_;
  StageOutputMemo* memo_;  // may be null
};

}  // namespace docpipe
