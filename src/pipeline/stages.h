#pragma once

#include <vector>

#include "chunk/chunker.h"
#include "chunk/tokenizer.h"
#include "embed/embedder.h"
#include "enrich/enricher.h"
#include "extract/extractor.h"
#include "index/vector_index.h"
#include "pipeline/stage.h"

namespace docpipe {

class Registrar;
// Stage 1: source document -> extracted/<id>/page-NNNN.md + metadata.json.
// With a registrar, embedded documents (e-mail attachments) are stored as
// "<source_key>.attachments/NN-<name>" and registered as documents of their
// own (see AttachmentKey); without one they are only listed in metadata.
StagePtr NewExtractStage(std::vector<ExtractorPtr> extractors, Registrar* registrar = nullptr);

// The key an attachment of `parent_key` is stored under: "<parent_key>.attachments/NN-<safe name>"
// (NN = 1-based position; the name reduced to [A-Za-z0-9._-], an extension
// from the content type when it has none).
std::string AttachmentKey(const std::string& parent_key, int index, const std::string& file_name,
                          const std::string& content_type);
// The parent's key when `key` is an attachment's key, else "".
std::string AttachmentParentKey(const std::string& key);
// Stage 2: extracted pages -> chunks/<id>.json.
StagePtr NewChunkStage(TokenizerPtr tokenizer, ChunkOptions options);
// Stage 3: chunks -> enriched/<id>.json (entities, key phrases, language,
// PII); with redaction on, the chunk texts in chunks/<id>.json are replaced by
// their redacted form so PII stays only in extracted/.
StagePtr NewEnrichStage(EnricherPtr enricher, EnrichOptions options);
// Stage 4: chunk texts (with their heading context) -> embeddings/<id>.json.
StagePtr NewEmbedStage(Embedder& embedder, int batch_size);
// Stage 5: chunks + enrichment + vectors -> the vector index, replacing the
// document's previous chunks.
StagePtr NewLoadStage(VectorIndex& index);

// Object-store keys of stage 3 and 4 outputs.
std::string EnrichedKey(const std::string& document_id);    // "enriched/<id>.json"
std::string EmbeddingsKey(const std::string& document_id);  // "embeddings/<id>.json"

// The text a chunk is embedded as: its heading path, then its text.
std::string EmbeddingInput(const Chunk& chunk);

}  // namespace docpipe
