#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "aws/aws_client.h"
#include "common/clock.h"
#include "enrich/enricher.h"

namespace docpipe {

// Amazon Comprehend list prices in USD per unit of 100 characters, first
// volume tier (up to 10 M units a month; 10–50 M costs half, beyond that a
// quarter). The estimate ignores the volume tiers and the free tier, which
// depend on the whole account's month, so it is an upper bound. Batch
// operations are billed per document at their single operation's price.
std::map<std::string, double> DefaultComprehendPrices();

struct ComprehendOptions {
  //! Language assumed when DetectDominantLanguage finds none (digits, symbols...).
  std::string language_fallback = "en";
  //! Per-process rate limit over every request of this enricher (token
  //! bucket holding one second's worth); <= 0: no limit.
  int max_requests_per_second = 10;
  //! Batch* calls for runs of small chunks of one language (fewer requests).
  bool use_batch = true;
  //! Operation ("DetectEntities", ...) -> USD per unit; see DefaultComprehendPrices.
  std::map<std::string, double> price_per_unit_usd = DefaultComprehendPrices();
  int64_t chars_per_unit = 100;
  int64_t min_units_per_request = 3;  // per document, in batches too
};

// The Comprehend adapter of the Enricher port ("comprehend"): dominant
// language, then entities, key phrases and PII in that language, in the
// embedded enricher's shapes (code point and byte offsets into each chunk).
// Runs of small chunks go in Batch* calls (25 documents under 5,000 bytes each,
// one language per batch); texts over 100,000 bytes are split at sentence
// boundaries and their offsets mapped back. Calls for languages Comprehend
// does not support are skipped (and counted in EnrichUsage::skipped). Errors:
// InvalidInput naming the chunk for texts the service rejects; Throttled /
// Unavailable once AwsClient's retries are spent.
//
// `comprehend` is an AwsClient for signing name "comprehend"; both it and
// `clock` must outlive the enricher.
// The Comprehend operations the enricher calls (single and Batch* Detect calls).
const AwsOperationSet& ComprehendOperations();

EnricherPtr NewComprehendEnricher(AwsClient& comprehend, Clock& clock, ComprehendOptions options = {});

}  // namespace docpipe
