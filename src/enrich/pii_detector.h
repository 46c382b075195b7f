#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "enrich/enricher.h"

namespace docpipe {

struct PiiDetectorOptions {
  //! Region for phone numbers written without a country code (ISO 3166 alpha-2).
  std::string default_phone_region = "US";
};

// Finds PII with Comprehend's type names: EMAIL, PHONE, CREDIT_DEBIT_NUMBER,
// SSN, INTERNATIONAL_BANK_ACCOUNT_NUMBER, IP_ADDRESS, MAC_ADDRESS, URL,
// AWS_ACCESS_KEY, AWS_SECRET_KEY, DATE_TIME. Each candidate found by a
// pattern must pass a validator (Luhn, mod 97, libphonenumber, calendar...)
// or a context rule; scores are 0.99 for checksum/libphonenumber-validated
// matches and 0.8-0.95 for pattern plus rules. Thread-safe.
class PiiDetector {
 public:
  virtual ~PiiDetector() = default;
  //! Non-overlapping PII spans of `text` (the longer span wins), by offset.
  virtual std::vector<Entity> Detect(std::string_view text) const = 0;
};

using PiiDetectorPtr = std::unique_ptr<PiiDetector>;

//! InvalidInput for an unknown phone region; Internal if a pattern fails to compile.
Result<PiiDetectorPtr> NewPiiDetector(const PiiDetectorOptions& options = {});

}  // namespace docpipe
