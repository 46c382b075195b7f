// The one definition of nlohmann::json's heavy templates (json_instances.h).
#include "common/json_instances.h"

DOCPIPE_JSON_INSTANCES()
