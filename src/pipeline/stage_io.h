#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "object_store/object_store.h"
#include "tables/control_record.h"

namespace docpipe {

// Reads a stage's JSON input from the store and checks that it belongs to
// the record's version: a stage must never consume another version's output.
Result<nlohmann::json> ReadStageJson(ObjectStore& store, const std::string& key, const ControlRecord& record);

}  // namespace docpipe
