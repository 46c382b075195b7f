#pragma once

#include <string>

#include "enrich/enricher.h"

namespace docpipe {

struct LocalEnricherOptions {
  //! Region for phone numbers without a country code (ISO 3166 alpha-2).
  std::string default_phone_region = "US";
  //! Chunks enriched at once (each chunk on its own: same output for any count).
  int threads = 1;
};

// The embedded enricher: validators (Luhn, mod-97, libphonenumber...) for PII,
// statistical key phrases, CLD2 for language. No network, no model files.
EnricherPtr NewLocalEnricher();
// The same with options. An invalid option (unknown region) makes every
// Enrich call fail with InvalidInput rather than the factory.
EnricherPtr NewLocalEnricher(const LocalEnricherOptions& options);

}  // namespace docpipe
