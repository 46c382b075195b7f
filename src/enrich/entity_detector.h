#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "enrich/enricher.h"

namespace docpipe {

// Finds the general entities that need no model, with Comprehend's types:
// DATE ("2024-03-15", "March 15, 2024") and QUANTITY, which, as in
// Comprehend, covers money ("$5.00", "12 EUR") and percentages ("12%") as
// well as measures ("5 kg", "3.5 GHz") and counts ("200 pages"). Thread-safe.
class EntityDetector {
 public:
  virtual ~EntityDetector() = default;
  //! Non-overlapping entities of `text`, by offset.
  virtual std::vector<Entity> Detect(std::string_view text) const = 0;
};

using EntityDetectorPtr = std::unique_ptr<EntityDetector>;

//! Internal if a built-in pattern fails to compile (a bug).
Result<EntityDetectorPtr> NewEntityDetector();

}  // namespace docpipe
