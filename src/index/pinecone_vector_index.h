#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "http/http_client.h"
#include "http/http_retry.h"
#include "index/vector_index.h"

namespace docpipe {

struct PineconeOptions {
  std::string api_key;     // sent as Api-Key; never logged nor put in an error
  std::string index_name;
  std::string namespace_;  // "" = the index's default namespace
  // Data plane, e.g. https://idx-abc.svc.us-east-1-aws.pinecone.io; empty =
  // the host in the index's description (a bare host gets https://).
  std::string index_host;
  std::string controller_host = "https://api.pinecone.io";
  // What @pinecone-database/pinecone 8.2.0 sends in X-Pinecone-Api-Version.
  std::string api_version = "2026-04";
  int dimension = 0;
  std::string metric = "cosine";
  bool create_if_missing = true;
  std::string cloud = "aws", region = "us-east-1";
  // Pinecone's documented limits for one upsert request and one record.
  int max_vectors_per_upsert = 1000;
  int64_t max_request_bytes = 2 * 1024 * 1024;
  int64_t max_metadata_bytes = 40 * 1024;
  HttpRetryOptions retry;
  int64_t timeout_ms = 30'000;  // per request (each attempt)
  // How long a newly created index may take to become ready; described
  // every ready_poll_ms meanwhile.
  int64_t ready_timeout_ms = 300'000;
  int64_t ready_poll_ms = 1'000;
  // Appended to the User-Agent as "source_tag=<tag>" (normalised like the
  // official clients do: lower case, [a-z0-9_ :], spaces to '_'); "" = none.
  std::string source_tag;
};

// VectorIndex on a Pinecone serverless index (dense vectors, REST data plane).
//
// * Chunk ids are "<doc>:<version>:<index>", so a document's vectors are the
//   ids with the prefix "<doc>:". ReplaceDocument upserts the new chunks
//   (packed into as few requests as the count and size limits allow), then
//   lists the prefix and deletes every id that is not a new chunk.
// * Not atomic, unlike the local index: between the upsert and the delete a
//   search may see chunks of both versions, and Pinecone's eventual
//   consistency widens that window by seconds. Search keeps only the newest
//   version of each document among its hits, which hides the overlap when
//   both versions match; a failed delete is an error, so the load stage runs
//   the whole replacement again.
// * Search: vector mode queries Pinecone; hybrid mode returns the vector
//   results (a dense index has no BM25); keyword mode is InvalidInput.
// * Stats: chunks = the namespace's vector count; documents = 0 (not known
//   without listing every id).
// * Errors: 4xx answers are InvalidInput with Pinecone's message (401/403
//   included: retrying cannot fix a key); 429 and 5xx are retried through
//   HttpRetrier, then Throttled / Unavailable.
// Thread-safe.
//
// At creation: describes the index (creating it when missing and
// create_if_missing, then waiting until it is ready) and checks its dimension
// and metric against the options: a mismatch is InvalidInput.
Result<VectorIndexPtr> NewPineconeVectorIndex(HttpClient& http, Clock& clock, PineconeOptions options);

// The metadata Pinecone stores with a chunk (strings, numbers, booleans and
// lists of strings only), at most `max_bytes` as compact JSON: the text is cut
// at a UTF-8 boundary to fit, and then `text_truncated` is true. InvalidInput
// when the other fields alone do not fit. Exposed for tests and benchmarks.
Result<std::string> PineconeMetadataJson(const IndexedChunk& chunk, int64_t max_bytes);

}  // namespace docpipe
