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
#include "pipeline/stage.h"

namespace docpipe {

// The extractor for a source object, judged from its key and first bytes;
// InvalidInput naming the supported types when none takes it. The pointer
// stays valid as long as the stage (the composition owns the extractors).
using ExtractorSelector = std::function<Result<Extractor*>(const std::string& key, std::string_view head)>;

// Stage 1: source document -> extracted/<id>/page-NNNN.md + metadata.json.
StagePtr NewExtractStage(ExtractorSelector select);
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
