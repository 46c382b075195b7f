// Built by the CTest layers.right_way_include (never by `all`): the same
// pipeline include root reaches a port, so the failure of
// pipeline_includes_adapter.cpp is the layer rule and not a broken setup.
#include "object_store/object_store.h"

namespace docpipe {
Status LayerProbe() { return ValidateObjectKey("input/probe.pdf"); }
}  // namespace docpipe
