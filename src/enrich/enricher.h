#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace docpipe {

// Shapes mirror Amazon Comprehend's responses (DetectEntities,
// DetectPiiEntities, DetectKeyPhrases, DetectDominantLanguage) so the
// Comprehend adapter drops in behind the same interface. Offsets are
// character (code point) offsets into the chunk text, as Comprehend gives
// them, plus UTF-8 byte offsets for slicing.
struct Entity {
  std::string type;  // PII: EMAIL, PHONE, ...; general: DATE, QUANTITY, ...
  std::string text;
  double score = 0;
  int64_t begin_offset = 0;  // code points, inclusive
  int64_t end_offset = 0;    // code points, exclusive
  int64_t begin_byte = 0;
  int64_t end_byte = 0;
};

struct KeyPhrase {
  std::string text;
  double score = 0;
  int64_t begin_offset = 0;
  int64_t end_offset = 0;
};

struct LanguageScore {
  std::string language_code;  // ISO 639-1 ("en"), as Comprehend
  double score = 0;
};

struct ChunkEnrichment {
  std::string chunk_id;
  std::vector<LanguageScore> languages;  // best first
  std::vector<Entity> entities;          // dates, money, percentages, quantities...
  std::vector<KeyPhrase> key_phrases;    // best first
  std::vector<Entity> pii_entities;
  std::string redacted_text;  // text with PII replaced by "[TYPE]" (when redaction is on)
};

struct EnrichInput {
  std::string chunk_id;
  std::string text;
};

struct EnrichOptions {
  bool redact_pii = false;
  double min_score = 0.7;  // entities below this confidence are dropped
  int max_key_phrases = 10;
  // Set (shutdown, a passed deadline): the enricher stops between chunks or
  // requests with Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

// What one Enrich call used of a remote service. It travels with the call
// (not in the enricher) because one enricher serves every worker thread, and
// not per chunk because one batch request serves up to 25 chunks.
struct EnrichUsage {
  int64_t calls = 0;    // requests sent (a batch request counts once; transport retries don't)
  double cost_usd = 0;  // estimated from list prices
  std::map<std::string, int64_t> calls_by_operation;  // "BatchDetectEntities" -> 3
  std::map<std::string, int64_t> skipped;  // "DetectPiiEntities: unsupported language fr" -> chunks
};

// Finds entities, key phrases, language and PII in chunk texts. Thread-safe.
class Enricher {
 public:
  virtual ~Enricher() = default;
  //! "local-v1", "comprehend".
  virtual std::string Name() const = 0;
  //! One result per input, in order. Unavailable/Throttled from remote services.
  //! `usage`, when given, receives what the call used (zeros for local work).
  virtual Result<std::vector<ChunkEnrichment>> Enrich(const std::vector<EnrichInput>& chunks,
                                                      const EnrichOptions& options, EnrichUsage* usage) = 0;
  Result<std::vector<ChunkEnrichment>> Enrich(const std::vector<EnrichInput>& chunks,
                                              const EnrichOptions& options) {
    return Enrich(chunks, options, nullptr);
  }
};

using EnricherPtr = std::unique_ptr<Enricher>;

nlohmann::json ToJson(
    const Entity& e);  // {"Type","Text","Score","BeginOffset","EndOffset","BeginByte","EndByte"}
nlohmann::json ToJson(const KeyPhrase& k);  // {"Text","Score","BeginOffset","EndOffset"}
nlohmann::json ToJson(
    const ChunkEnrichment& c);  // {"chunk_id","Languages","Entities","KeyPhrases","PiiEntities",...}
Result<ChunkEnrichment> ChunkEnrichmentFromJson(const nlohmann::json& j);

// Replaces each PII span of `text` by "[TYPE]" (overlaps: the longer span wins).
std::string RedactPii(const std::string& text, const std::vector<Entity>& pii);

}  // namespace docpipe
