#include "pipeline/stage_io.h"

#include <fmt/format.h>

namespace docpipe {

Result<nlohmann::json> ReadStageJson(ObjectStore& store, const std::string& key, const ControlRecord& record) {
  Result<std::string> text = store.Get(key);
  if (!text.ok()) return text.status().Annotate("reading " + key);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Internal(key + " is not valid JSON");
  if (j.value("processing_version", "") != record.processing_version) {
    return Status::Internal(fmt::format("{} belongs to version {}, not {}", key, j.value("processing_version", "?"),
                                        record.processing_version));
  }
  return j;
}

}  // namespace docpipe
