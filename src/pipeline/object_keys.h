#pragma once

#include <string>
#include <vector>

namespace docpipe {

// Every key docpipe gives an object in the store, in one place (the layout of
// the S3 bucket and of a workspace's store/, docs/schema.md):
//
//   input/<folder>/<file>          the sources
//   extracted/<id>/page-NNNN.md    stage 1: one Markdown page each
//   extracted/<id>/metadata.json   stage 1: ExtractedDocument (pipeline/stage_contracts.h)
//   chunks/<id>.json               stage 2: ChunkSet
//   enriched/<id>.json             stage 3: EnrichmentSet
//   redacted/<id>.json             stage 3, with PII redaction on: RedactedTexts
//   embeddings/<id>.json           stage 4: EmbeddingSet
//   errors/<id>.json               why the latest version failed
inline constexpr const char* kInputPrefix = "input/";

std::string ExtractedPrefix(const std::string& document_id);              // "extracted/<id>/"
std::string ExtractedPageKey(const std::string& document_id, int page);  // ".../page-0001.md"
std::string ExtractedMetadataKey(const std::string& document_id);        // ".../metadata.json"
std::string ChunksKey(const std::string& document_id);                   // "chunks/<id>.json"
std::string EnrichedKey(const std::string& document_id);                 // "enriched/<id>.json"
std::string RedactedKey(const std::string& document_id);                 // "redacted/<id>.json"
std::string EmbeddingsKey(const std::string& document_id);               // "embeddings/<id>.json"
std::string ErrorKey(const std::string& document_id);                    // "errors/<id>.json"

// The page number of a key under ExtractedPrefix(document_id), or 0 when it
// is no page ("metadata.json").
int ExtractedPageNumber(const std::string& document_id, const std::string& key);

// The keys of a document's outputs outside extracted/ (a prefix of its own).
std::vector<std::string> OutputKeys(const std::string& document_id);

}  // namespace docpipe
