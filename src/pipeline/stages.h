#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chunk/chunker.h"
#include "tokenize/tokenizer.h"
#include "embed/embedder.h"
#include "enrich/enricher.h"
#include "extract/extractor.h"
#include "index/vector_index.h"
#include "object_store/object_store.h"
#include "pipeline/document_limits.h"
#include "pipeline/stage.h"
#include "pipeline/stage_contracts.h"
#include "tables/tables.h"

namespace docpipe {

// The extractor for a source object, judged from its key and first bytes;
// InvalidInput naming the supported types when none takes it. The pointer
// stays valid as long as the stage (the composition owns the extractors).
using ExtractorSelector = std::function<Result<Extractor*>(const std::string& key, std::string_view head)>;

// Cleans a page's text that holds U+FFFD (extract/text_normalizer.h's
// NormalizeText in the composition): such characters are never indexed.
using TextCleaner = std::function<std::string(std::string_view)>;

// The five stages. Each reads its input from and writes its output to the
// store as the types of pipeline/stage_contracts.h, and gets only what it
// uses; `clock` measures the stage deadline. Stages given one `memo` (may
// be null) hand their outputs to the next without parsing them again
// (StageOutputMemo); what they store is the same either way.

class Registrar;
// Stage 1: source document -> extracted/<id>/page-NNNN.md + ExtractedDocument.
// With a registrar, embedded documents (e-mail attachments) are stored as
// "<source_key>.attachments/NN-<name>" and registered as documents of their
// own (see AttachmentKey); without one they are only listed in the metadata.
// A source over `limits.max_bytes`, or an extraction past its pages,
// characters or expansion ratio, fails at once naming the limit.
// `threads`: pages of one document read at once (ExtractOptions::threads).
StagePtr NewExtractStage(ObjectStore& store, Clock& clock, ExtractorSelector select, TextCleaner clean,
                         Registrar* registrar = nullptr, const DocumentLimits& limits = {}, int threads = 1);

// The key an attachment of `parent_key` is stored under: "<parent_key>.attachments/NN-<safe name>"
// (NN = 1-based position; the name reduced to [A-Za-z0-9._-], an extension
// from the content type when it has none).
std::string AttachmentKey(const std::string& parent_key, int index, const std::string& file_name,
                          const std::string& content_type);
// The parent's key when `key` is an attachment's key, else "".
std::string AttachmentParentKey(const std::string& key);
// Stage 2: extracted pages -> ChunkSet; more than `max_chunks` chunks fail
// the document naming the limit. `threads`: sections of one document packed at once.
StagePtr NewChunkStage(ObjectStore& store, TokenizerPtr tokenizer, ChunkOptions options,
                       int64_t max_chunks = DocumentLimits{}.max_chunks, int threads = 1,
                       StageOutputMemo* memo = nullptr);
// Stage 3: chunks -> EnrichmentSet (entities, key phrases, language, PII);
// with redaction on, also RedactedTexts: what stages 4 and 5 embed and index
// instead of the chunk texts, so PII never reaches an embedding or the index.
StagePtr NewEnrichStage(ObjectStore& store, EnricherPtr enricher, EnrichOptions options,
                        StageOutputMemo* memo = nullptr);
// Stage 4: chunk texts (with their heading context) -> EmbeddingSet.
StagePtr NewEmbedStage(ObjectStore& store, Clock& clock, Embedder& embedder, int batch_size,
                       StageOutputMemo* memo = nullptr);
// Stage 5: chunks + enrichment + vectors -> the vector index, replacing the
// document's previous chunks; `control` tells whether a newer version exists.
StagePtr NewLoadStage(ObjectStore& store, ControlTable& control, VectorIndex& index,
                      StageOutputMemo* memo = nullptr);

}  // namespace docpipe
