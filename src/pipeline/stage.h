#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/clock.h"
#include "tables/control_record.h"

namespace docpipe {

// Stage names: the keys of a control record's stage_status and the order the
// processor runs them in.
inline constexpr const char* kExtractStage = "extract";
inline constexpr const char* kChunkStage = "chunk";
inline constexpr const char* kEnrichStage = "enrich";
inline constexpr const char* kEmbedStage = "embed";
inline constexpr const char* kLoadStage = "load";
inline constexpr std::array<const char*, 5> kPipelineStages = {kExtractStage, kChunkStage, kEnrichStage, kEmbedStage,
                                                               kLoadStage};

// One run of a stage for one document version. What else a stage uses (the
// store, its adapter, the clock) it gets at construction, and only that.
struct StageContext {
  const ControlRecord& record;
  TimeMs deadline_ms = 0;                      // the stage must stop by then (Timeout), by the stage's clock
  const std::atomic<bool>* cancel = nullptr;   // set on shutdown or a lost lease
};

struct StageResult {
  std::string output_key;
  nlohmann::json metrics = nlohmann::json::object();
  int64_t pages = -1;   // >= 0: sets the record's page_count
  int64_t chunks = -1;  // >= 0: sets the record's chunk_count
  int64_t tokens = -1;  // >= 0: counted into the daily metrics (embedding tokens)
  double cost_usd = 0;  // counted into the daily metrics
};

// One step of the pipeline. Reads its input from and writes its output to the
// object store; re-running it for the same version must be harmless
// (outputs are replaced). Errors: InvalidInput for documents that can never
// succeed (not retried), retryable codes otherwise. Thread-safe.
class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string Name() const = 0;
  virtual Result<StageResult> Run(const StageContext& context) = 0;
};

using StagePtr = std::unique_ptr<Stage>;

}  // namespace docpipe
