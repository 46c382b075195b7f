#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "embed/embedder.h"
#include "http/http_client.h"
#include "http/http_retry.h"

namespace docpipe {

// The OpenAI embeddings API (POST {base_url}/embeddings) behind the Embedder
// port. Limits are OpenAI's documented ones; a compatible server with other
// limits can be described by changing them.
struct OpenAiEmbedderOptions {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;  // surrounding whitespace is trimmed (secrets often end in "\n")
  std::string model = "text-embedding-3-small";
  int dimensions = 0;  // 0 = model default; sent only for text-embedding-3-*
  int max_inputs_per_request = 2048;
  int64_t max_tokens_per_request = 300000;  // summed over a request's inputs
  int64_t max_tokens_per_input = 8192;      // a longer input fails (InvalidInput), never truncated
  int64_t requests_per_minute = 3000;       // client-side pacing; 0 = no client-side limit
  int64_t tokens_per_minute = 1000000;      // client-side pacing; 0 = no client-side limit
  int concurrency = 4;                      // parallel requests per Embed call
  HttpRetryOptions retry;
  int64_t timeout_ms = 60000;         // per HTTP request
  std::string organization, project;  // OpenAI-Organization / OpenAI-Project headers when set
};

// Counters over the embedder's life (all Embed calls). Thread-safe snapshot.
struct OpenAiEmbedderStats {
  int64_t requests = 0;         // requests answered 200 (one per packed batch) = EmbeddingBatch::requests
  int64_t attempts = 0;         // HTTP requests sent, retries included
  int64_t throttled = 0;        // 429 answers received
  int64_t server_errors = 0;    // 5xx answers and transport errors/timeouts
  int64_t limiter_waits = 0;    // times the client-side rate limiter made a request wait
  int64_t limiter_wait_ms = 0;  // total time spent waiting there (summed over threads)
  int64_t tokens = 0;           // billed tokens (usage.total_tokens)
};

// What NewOpenAiEmbedder returns; dynamic_cast an EmbedderPtr to read Stats().
class OpenAiEmbedder : public Embedder {
 public:
  virtual OpenAiEmbedderStats Stats() const = 0;
};

// Embed(texts):
// - counts each text's tokens exactly (the BPE encoding of the model,
//   EncodingForModel) and fails with InvalidInput, before any request, for
//   an empty text or one over max_tokens_per_input (naming its index and
//   count): truncating would silently change what is searchable;
// - packs the texts in order into as few requests as the limits allow
//   (greedy: <= max_inputs_per_request texts and <= max_tokens_per_request
//   tokens each) and sends up to `concurrency` of them at once;
// - paces every attempt through two token buckets (requests/min, tokens/min)
//   shared by all threads, so a steady run stays under the account's limits,
//   and lowers them to the server's x-ratelimit-remaining-* when those are
//   lower (another process using the same key);
// - retries 408/409/429/5xx, transport errors and timeouts (HttpRetrier),
//   waiting for Retry-After / retry-after-ms or, on 429, the time the
//   x-ratelimit-reset-requests / -tokens headers say the needed budget
//   takes to come back;
// - returns the vectors in input order, checked for count and dimension and
//   L2-normalised (OpenAI's already are: kept bit for bit when their norm is
//   within 1e-3 of 1), tokens = usage.total_tokens, cost_usd from the
//   model's price per 1M tokens (text-embedding-3-small $0.02, -3-large
//   $0.13, ada-002 $0.10; other models 0: the adapter does not guess), and
//   requests = requests answered 200 (retries are in Stats()).
// Errors: 401/403 InvalidInput "OpenAI rejected the API key"; 429 with code
// insufficient_quota InvalidInput (not retried: only billing fixes it);
// other 4xx InvalidInput with OpenAI's error message; 429 after the retries
// Throttled; 5xx after the retries, malformed answers, wrong counts
// Unavailable; transport failures Unavailable/Timeout; dimension mismatch
// InvalidInput naming model and dimensions. The API key never appears in a
// Status message.
//
// Options are validated: InvalidInput for an empty key or model, a model not
// in the table above without explicit `dimensions`, dimensions above the
// model's (or any for ada-002 other than 1536), non-positive limits,
// tokens_per_minute below max_tokens_per_input, a base_url that is not
// http(s), CR/LF in header values.
Result<EmbedderPtr> NewOpenAiEmbedder(HttpClient& http, Clock& clock, OpenAiEmbedderOptions options);

// The dimension of the vectors `model` returns when asked for `dimensions`
// (0 = the model's default): InvalidInput for a model docpipe does not know
// without explicit dimensions, dimensions above the model's, or a shortening
// the model does not support (ada-002). NewOpenAiEmbedder checks the same.
Result<int> OpenAiEmbeddingDimension(const std::string& model, int dimensions);

// An OpenAI rate-limit reset duration in Go's format ("1s", "6m0s", "20ms",
// "1h2m3.5s", "250us") as milliseconds, rounded up; -1 when unparsable.
int64_t ParseOpenAiDurationMs(std::string_view s);

// USD per 1M tokens for a known embedding model, 0 for others.
double OpenAiPricePerMillionTokens(const std::string& model);

}  // namespace docpipe
