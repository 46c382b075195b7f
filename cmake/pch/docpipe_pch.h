// Precompiled for every docpipe target (see docpipe_precompile in
// CMakeLists.txt): the headers whose parsing dominates a small translation
// unit. Only third-party headers belong here, never docpipe's own, except
// json_instances.h: it declares nlohmann::json's explicit instantiations, so
// that no target using this header generates them again.
//
// Marked a system header because GCC 12 otherwise reports its -O3
// -Wstringop-overflow false positives inside <string> when the header comes
// from a PCH (they are suppressed when it is #included normally).
#pragma GCC system_header

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../../src/common/json_instances.h"

DOCPIPE_JSON_INSTANCES(extern)
