// Built by the CTest layers.wrong_way_include (never by `all`): a pipeline
// source that reaches for an adapter. It must fail to compile, because the
// pipeline's include root holds only the ports (docs/architecture.md).
#include "object_store/s3_object_store.h"
